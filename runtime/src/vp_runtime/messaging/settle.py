"""How every stage handles a delivery: ack, retry with backoff, or dead-letter.

FastStream subscribers run with ``AckPolicy.MANUAL`` and hand each message to
:func:`handle_delivery`, which decides. A transient error (or a bug) naks with exponential
backoff from 2 s; after the last attempt the service's ``on_give_up`` records a failure fact,
the message goes to the dead letters and is terminated. A poison message (one that can never
be processed) goes straight to the dead letters. A business refusal is not an error: the
handler records its failure fact and returns, and the message is acked.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import weakref
from collections.abc import AsyncIterator, Awaitable
from typing import Any

import anyio
from faststream.nats import NatsMessage

from vp_runtime.aio import in_background
from vp_runtime.messaging.broker import durable_subscriber
from vp_runtime.messaging.deadletters import DeadLetters
from vp_runtime.messaging.delivery import (
    DEFAULT_RETRIES,
    Delivery,
    Handler,
    OnDone,
    OnGiveUp,
    OnRetry,
    PoisonMessage,
    RetryPolicy,
    TransientError,
)
from vp_runtime.messaging.topology import ConsumerSpec
from vp_runtime.observability.metrics import MESSAGE_SECONDS, MESSAGES, subject_label

log = logging.getLogger(__name__)

DEAD_LETTER_RETRY_SECONDS = 5.0


def subscribe(
    broker: Any,
    spec: ConsumerSpec,
    subject: str,
    handler: Handler,
    *,
    dead_letters: DeadLetters,
    policy: RetryPolicy = DEFAULT_RETRIES,
    on_retry: OnRetry | None = None,
    on_give_up: OnGiveUp | None = None,
    on_done: OnDone | None = None,
) -> None:
    """Bind ``handler`` to the declared consumer ``spec`` on ``broker``; every delivery of
    ``subject`` goes through :func:`handle_delivery` with these options, sending keep-alives as
    often as the consumer's ack wait asks; ``on_done`` is told the subject of each message that
    left the consumer (acked or terminated, not one coming back for a retry)."""

    flying = _IN_FLIGHT.setdefault(broker, set())

    async def on_message(message: NatsMessage) -> None:
        flying.add(message)
        try:
            outcome = await handle_delivery(
                message,
                handler,
                dead_letters=dead_letters,
                policy=policy,
                heartbeat_every=spec.heartbeat_seconds,
                on_retry=on_retry,
                on_give_up=on_give_up,
            )
        finally:
            flying.discard(message)
        if on_done is not None and outcome != "retried":
            await _quietly(on_done(message.raw_message.subject), "releasing the next job")

    durable_subscriber(broker, spec, subject)(on_message)


_IN_FLIGHT: weakref.WeakKeyDictionary[Any, set[NatsMessage]] = weakref.WeakKeyDictionary()
"""Messages each broker's handlers are working on, so a shutdown can hand them back."""


async def stop_consuming(broker: Any) -> None:
    """Stop ``broker``: what its handlers are still working on goes back to the server first
    (a nak, redelivered at once to another replica), then the broker stops and cancels them.
    A rolling deploy costs no ack wait."""
    for message in list(_IN_FLIGHT.get(broker, ())):
        with contextlib.suppress(Exception):  # gone with the connection: the ack wait applies
            await message.nack()
    await broker.stop()


async def handle_delivery(
    message: NatsMessage,
    handler: Handler,
    *,
    dead_letters: DeadLetters,
    policy: RetryPolicy = DEFAULT_RETRIES,
    heartbeat_every: float | None = None,
    on_retry: OnRetry | None = None,
    on_give_up: OnGiveUp | None = None,
) -> str:
    """Run ``handler`` on one message and settle the message (ack, nak or term); returns the
    outcome (``ok``, ``retried``, ``exhausted`` or ``poison``)."""
    delivery = Delivery.of(message)
    started = time.perf_counter()
    outcome = await _settle(
        message, delivery, handler, dead_letters, policy, heartbeat_every, on_retry, on_give_up
    )
    service, subject = dead_letters.service, subject_label(delivery.subject)
    MESSAGES.labels(service, subject, outcome).inc()
    MESSAGE_SECONDS.labels(service, subject).observe(time.perf_counter() - started)
    return outcome


async def _settle(
    message: NatsMessage,
    delivery: Delivery,
    handler: Handler,
    dead_letters: DeadLetters,
    policy: RetryPolicy,
    heartbeat_every: float | None,
    on_retry: OnRetry | None,
    on_give_up: OnGiveUp | None,
) -> str:
    try:
        async with _heartbeats(delivery, heartbeat_every):
            await handler(delivery)
    except asyncio.CancelledError:
        # The process is stopping (a rolling deploy, Ctrl-C): hand the message back at once so
        # another worker takes it now, not after the ack wait.
        with anyio.CancelScope(shield=True), contextlib.suppress(Exception):
            await message.nack()
        raise
    except PoisonMessage as error:
        log.error("poison message on %s: %s", delivery.subject, error)
        await _bury(message, delivery, dead_letters, "poison", str(error))
        return "poison"
    except Exception as error:
        if delivery.attempt < policy.attempts:
            delay = policy.delay_after(delivery.attempt)
            log.warning(
                "attempt %d of %s failed, retrying in %.3gs: %s",
                delivery.attempt,
                delivery.subject,
                delay,
                _describe(error),
            )
            if on_retry is not None:
                await _quietly(on_retry(delivery, error, delay), "recording the retry")
            await message.nack(delay=delay)
            return "retried"
        log.error(
            "giving up on %s after %d attempts: %s",
            delivery.subject,
            delivery.attempt,
            _describe(error),
        )
        if on_give_up is not None:
            await _quietly(on_give_up(delivery, error), "recording the failure")
        await _bury(message, delivery, dead_letters, "exhausted", _describe(error))
        return "exhausted"
    await message.ack()
    return "ok"


async def _bury(
    message: NatsMessage, delivery: Delivery, dead_letters: DeadLetters, kind: str, reason: str
) -> None:
    """Dead-letter and terminate; if the dead letter cannot be stored, try again later rather
    than lose the message."""
    try:
        await dead_letters.send(delivery, kind=kind, reason=reason)
    except Exception:
        log.exception("could not store the dead letter of %s; it will come back", delivery.subject)
        await message.nack(delay=DEAD_LETTER_RETRY_SECONDS)
        return
    await message.reject()


def _describe(error: BaseException) -> str:
    text = str(error) or type(error).__name__
    return text if isinstance(error, TransientError) else f"{type(error).__name__}: {text}"


async def _quietly(work: Awaitable[None], what: str) -> None:
    try:
        await work
    except Exception:
        log.exception("failed while %s", what)


@contextlib.asynccontextmanager
async def _heartbeats(delivery: Delivery, every: float | None) -> AsyncIterator[None]:
    """Tell the server we are still working, so a long step is not redelivered."""
    if not every:
        yield
        return

    async def beat() -> None:
        while True:
            await asyncio.sleep(every)
            try:
                await delivery.message.in_progress()
            except Exception as error:  # NATS reconnecting: keep beating, the next one may land
                log.debug("keep-alive of %s not sent: %s", delivery.subject, error)

    async with in_background(beat()):
        yield
