"""A durable consumer of the story log, yielding parsed facts."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass

from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.errors import TimeoutError as NatsTimeout
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from vp_contracts.envelope import Envelope
from vp_contracts.events.base import Event
from vp_contracts.events.registry import UnknownEventType, parse_event

log = logging.getLogger(__name__)

STREAM = "VP_STORY"
"""The story log's stream (``VP_STREAM_PREFIX`` goes in front when a deployment sets one)."""


@dataclass(frozen=True)
class Fact:
    """One fact of a story: where it is in the log, its CloudEvents attributes, its event."""

    sequence: int
    """Its position in the story log (stream sequence): increasing, never reused."""
    subject: str
    envelope: Envelope
    event: Event
    message: Msg

    async def ack(self) -> None:
        """Done with it: the consumer moves on and never delivers it again."""
        await self.message.ack()

    async def nak(self, delay: float | None = None) -> None:
        """Not now: delivered again (after ``delay`` seconds)."""
        await self.message.nak(delay=delay)


async def follow(
    nc: Client,
    *,
    durable: str,
    subject: str = "vp.story.*.completed",
    stream: str = STREAM,
    from_start: bool = False,
    batch: int = 16,
    ack_wait: float = 30,
    idle: float = 5,
) -> AsyncIterator[Fact]:
    """The facts on ``subject`` in log order, from the durable consumer ``durable`` (made on
    first use: from the log's start with ``from_start``, else from now on). Each must be
    acknowledged (:meth:`Fact.ack`) or it is delivered again after ``ack_wait`` seconds.

    Facts of a type this version of the contracts does not know (a newer major version) are
    acknowledged and skipped with a warning; update ``vp-contracts`` to read them."""
    js = nc.jetstream()
    config = ConsumerConfig(
        ack_policy=AckPolicy.EXPLICIT,
        ack_wait=ack_wait,
        deliver_policy=DeliverPolicy.ALL if from_start else DeliverPolicy.NEW,
        max_ack_pending=batch * 4,
    )
    subscription = await js.pull_subscribe(subject, durable=durable, stream=stream, config=config)
    try:
        while True:
            try:
                messages = await subscription.fetch(batch, timeout=idle)
            except NatsTimeout:
                continue
            for message in messages:
                fact = _parsed(message)
                if fact is None:
                    await message.ack()
                else:
                    yield fact
    finally:
        await subscription.unsubscribe()


def _parsed(message: Msg) -> Fact | None:
    envelope = Envelope.from_headers(message.headers)
    try:
        event = parse_event(envelope.type, message.data)
    except UnknownEventType:
        log.warning("skipping %s (%s): unknown to this vp-contracts", envelope.id, envelope.type)
        return None
    return Fact(message.metadata.sequence.stream, message.subject, envelope, event, message)
