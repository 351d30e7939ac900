"""Wait for facts by reading the log (an ordered consumer from the story's first fact), not by
sleeping: a fact that happened before we started looking is found too."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from nats.aio.client import Client
from nats.js.api import DeliverPolicy
from vp_contracts.envelope import Envelope, RecordedEvent
from vp_contracts.events import jobs as j
from vp_contracts.events import story as e
from vp_contracts.events.base import Event
from vp_contracts.events.registry import parse_event
from vp_contracts.values import JobKind
from vp_runtime.messaging.topology import Topology


async def wait_for(
    client: Client,
    topology: Topology,
    story_id: str,
    done: Callable[[list[RecordedEvent[Event]]], bool],
    timeout: float = 60,
) -> list[RecordedEvent[Event]]:
    """Facts of the story, read in order until ``done(facts so far)`` is true."""
    js = client.jetstream()
    subscription = await js.subscribe(
        topology.subjects.story(story_id),
        ordered_consumer=True,
        deliver_policy=DeliverPolicy.ALL,
        stream=topology.story_stream,
    )
    facts: list[RecordedEvent[Event]] = []
    try:
        async with asyncio.timeout(timeout):
            while not done(facts):
                message = await subscription.next_msg(timeout=timeout)
                envelope = Envelope.from_headers(message.headers)
                facts.append(
                    RecordedEvent(
                        envelope,
                        parse_event(envelope.type, message.data),
                        message.metadata.sequence.stream,
                    )
                )
    except TimeoutError:
        names = [type(f.event).__name__ for f in facts]
        raise AssertionError(f"gave up waiting after {timeout}s; the story has: {names}") from None
    finally:
        await subscription.unsubscribe()
    return facts


def count(facts: list[RecordedEvent[Event]], event_type: type[Event]) -> int:
    return sum(1 for fact in facts if isinstance(fact.event, event_type))


def has(event_type: type[Event], times: int = 1) -> Callable[[list[RecordedEvent[Event]]], bool]:
    return lambda facts: count(facts, event_type) >= times


async def drained(client: Client, stream: str, consumer: str, timeout: float = 30) -> None:
    """Wait until a consumer has nothing pending and nothing unacknowledged."""
    js = client.jetstream()
    async with asyncio.timeout(timeout):
        while True:
            info = await js.consumer_info(stream, consumer)
            if info.num_pending == 0 and info.num_ack_pending == 0:
                return
            await asyncio.sleep(0.05)


def final_composing(facts: list[RecordedEvent[Event]]) -> bool:
    """The story's final master has started composing."""
    renders = {f.event.attempt_id for f in facts if isinstance(f.event, e.RenderRequested)}
    return any(
        isinstance(f.event, j.JobStarted)
        and f.event.kind == JobKind.COMPOSE
        and f.event.attempt_id in renders
        for f in facts
    )
