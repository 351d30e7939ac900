"""Consuming a declared consumer in batches: up to ``size`` messages fetched at once, handed
to one handler call (one database transaction for the projector), then acked together.

A handler that raises gets the whole batch again after a backoff (a nak with delay; the server
keeps the messages pending, so nothing overtakes them); on shutdown the batch in hand is handed
back at once. Unreadable facts go to the dead letters and are acked, as a single-message
subscriber would.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass

import anyio
from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.errors import TimeoutError as NatsTimeout
from nats.js.client import JetStreamContext
from vp_contracts.envelope import RecordedEvent
from vp_contracts.events.base import Event
from vp_contracts.facts import UnreadableFact, read_fact

from vp_runtime.aio import in_background
from vp_runtime.messaging.deadletters import DeadLetters
from vp_runtime.messaging.delivery import RetryPolicy
from vp_runtime.messaging.topology import ConsumerSpec
from vp_runtime.observability import telemetry

log = logging.getLogger(__name__)

Fact = tuple[RecordedEvent[Event], int]
"""A fact and its delivery attempt (1 for the first)."""


@dataclass(frozen=True)
class Batch:
    """Messages fetched together: their readable facts, in order, and the stream sequences of
    the first and last message (unreadable ones included)."""

    facts: Sequence[Fact]
    first: int
    last: int


BatchHandler = Callable[[Batch], Awaitable[None]]


class RetrySoon(Exception):
    """Raised by a handler that cannot take the batch yet (another replica is ahead of it):
    the batch comes back after ``delay`` seconds, without the retry policy's backoff."""

    def __init__(self, reason: str, delay: float = 0.05) -> None:
        super().__init__(reason)
        self.delay = delay


FETCH_WAIT_SECONDS = 1.0


@dataclass(frozen=True)
class BatchSubscription:
    consumer: str
    """The declared consumer's name, without the stream prefix."""
    handler: BatchHandler
    size: int
    """Most facts per handler call (at most the consumer's max_ack_pending)."""
    policy: RetryPolicy


@contextlib.asynccontextmanager
async def consuming_batches(
    client: Client, spec: ConsumerSpec, entry: BatchSubscription, dead_letters: DeadLetters
) -> AsyncIterator[None]:
    """``entry`` working on ``spec``'s messages while the block runs."""
    js = client.jetstream()
    pull = await js.pull_subscribe_bind(spec.name, stream=spec.stream)
    size = min(entry.size, spec.max_ack_pending)
    try:
        async with in_background(_loop(pull, size, entry, spec, dead_letters)):
            yield
    finally:
        with contextlib.suppress(Exception):
            await pull.unsubscribe()


async def _loop(
    pull: JetStreamContext.PullSubscription,
    size: int,
    entry: BatchSubscription,
    spec: ConsumerSpec,
    dead_letters: DeadLetters,
) -> None:
    while True:
        try:
            messages = await pull.fetch(size, timeout=FETCH_WAIT_SECONDS)
        except (TimeoutError, NatsTimeout):
            continue
        except Exception as error:  # reconnecting: try again shortly
            log.debug("fetch from %s failed: %s", spec.name, error)
            await asyncio.sleep(0.5)
            continue
        if messages:
            await _handle(messages, entry, spec, dead_letters)


async def _handle(
    messages: list[Msg], entry: BatchSubscription, spec: ConsumerSpec, dead_letters: DeadLetters
) -> None:
    facts: list[Fact] = []
    for message in messages:
        metadata = message.metadata
        try:
            fact = read_fact(message.headers, message.data, metadata.sequence.stream)
        except UnreadableFact as error:
            log.error("poison message on %s: %s", message.subject, error)
            await dead_letters.send_raw(message, kind="poison", reason=f"not a fact: {error}")
            continue
        facts.append((fact, metadata.num_delivered))
    started = time.time_ns()
    try:
        async with in_background(_keep_alive(messages, spec.heartbeat_seconds)):
            first, last = (
                message.metadata.sequence.stream for message in (messages[0], messages[-1])
            )
            await entry.handler(Batch(facts, first, last))
    except asyncio.CancelledError:
        with anyio.CancelScope(shield=True), contextlib.suppress(Exception):
            for message in messages:
                await message.nak()
        raise
    except RetrySoon as error:
        for message in messages:
            await message.nak(delay=error.delay)
        return
    except Exception as error:
        attempt = min(message.metadata.num_delivered for message in messages)
        delay = entry.policy.delay_after(attempt)
        log.warning(
            "batch of %d from %s failed (attempt %d), again in %.3gs: %s",
            len(messages),
            spec.name,
            attempt,
            delay,
            error,
        )
        for message in messages:
            await message.nak(delay=delay)
        return
    ended = time.time_ns()
    for message in messages:
        await message.ack()
        telemetry.consumed(message.headers, message.subject, started, ended)


async def _keep_alive(messages: list[Msg], every: float) -> None:
    while True:
        await asyncio.sleep(every)
        for message in messages:
            with contextlib.suppress(Exception):
                await message.in_progress()
