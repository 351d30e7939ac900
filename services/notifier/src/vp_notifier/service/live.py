"""Live updates of one story to one client, gapless and bounded.

One :class:`Hub` per process follows every story's facts (one ordered JetStream consumer from
"now") and every progress tick (plain NATS), and hands them to the sessions watching that story.
A :class:`Session` first replays the story's facts after the client's last seen sequence from
the log, then goes on with what the hub hands it, skipping what it has already sent: no gap
(the session is registered before it reads the log) and no duplicate (sequences only grow).

The hub never waits for a client. A session holds at most ``capacity`` items; when a slow
client lets it fill up, progress ticks are dropped and, at the first fact that does not fit,
the session drops its queue and later reads the missed facts from the log again. Memory per
client is bounded, and a slow client slows nobody else.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections import defaultdict
from collections.abc import AsyncIterator, Iterator
from typing import Any

from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription
from nats.js.api import DeliverPolicy
from vp_contracts.envelope import RecordedEvent
from vp_contracts.events.base import Event
from vp_contracts.story.view import INITIAL, evolve
from vp_runtime.eventstore import CorruptEvent, StoryLog, recorded_from
from vp_runtime.messaging.topology import Topology
from vp_runtime.observability.metrics import LIVE_CLIENTS

from vp_notifier.domain.messages import Link, Message, StageProgress, fact_message

log = logging.getLogger(__name__)

Fact = RecordedEvent[Event]


class Session:
    def __init__(
        self, store: StoryLog, story_id: str, after: int, capacity: int, link: Link
    ) -> None:
        self.story_id = story_id
        self.last = after
        """Sequence of the last fact sent (or the client's Last-Event-ID)."""
        self._store = store
        self._link = link
        self._queue: asyncio.Queue[Fact | dict[str, Any]] = asyncio.Queue(capacity)
        self._behind = False
        self._view = INITIAL
        self._progress = StageProgress()
        self.dropped_ticks = 0
        self.catch_ups = 0

    def offer_fact(self, fact: Fact) -> None:
        if self._behind or fact.sequence <= self.last:
            return
        try:
            self._queue.put_nowait(fact)
        except asyncio.QueueFull:
            self._behind = True  # read from the log again once the client catches up

    def offer_tick(self, tick: dict[str, Any]) -> None:
        if self._behind:
            return
        try:
            self._queue.put_nowait(tick)
        except asyncio.QueueFull:
            self.dropped_ticks += 1

    async def messages(self, keepalive: float) -> AsyncIterator[Message | None]:
        """Messages for the client, oldest first; ``None`` after ``keepalive`` quiet seconds."""
        for fact in await self._store.load(self.story_id):
            if fact.sequence <= self.last:
                self._view = evolve(self._view, fact)
            else:
                yield self._send(fact)
        while True:
            if self._behind:
                await self._restart_from_log()
                for fact in await self._store.load(self.story_id, after=self.last):
                    yield self._send(fact)
                continue
            try:
                item = await asyncio.wait_for(self._queue.get(), keepalive)
            except TimeoutError:
                yield None
                continue
            if isinstance(item, dict):
                yield self._progress.message(item, self._view, self._link)
            elif item.sequence > self.last:
                yield self._send(item)

    async def _restart_from_log(self) -> None:
        while not self._queue.empty():
            self._queue.get_nowait()
        self._behind = False
        self.catch_ups += 1

    def _send(self, fact: Fact) -> Message:
        before, self._view = self._view, evolve(self._view, fact)
        self.last = fact.sequence
        return fact_message(fact, before, self._view, self._link)


class Hub:
    """This process's one follower of all stories, fanning out to sessions."""

    def __init__(self, client: Client, topology: Topology) -> None:
        self._client = client
        self._topology = topology
        self._sessions: dict[str, set[Session]] = defaultdict(set)
        self._subscriptions: list[Subscription] = []

    @property
    def clients(self) -> int:
        return sum(len(sessions) for sessions in self._sessions.values())

    async def start(self) -> None:
        subjects = self._topology.subjects
        facts = await self._client.jetstream().subscribe(
            subjects.all_stories(),
            stream=self._topology.story_stream,
            ordered_consumer=True,
            deliver_policy=DeliverPolicy.NEW,
            cb=self._on_fact,
        )
        ticks = await self._client.subscribe(subjects.all_progress(), cb=self._on_tick)
        self._subscriptions = [facts, ticks]

    async def stop(self) -> None:
        for subscription in self._subscriptions:
            await subscription.unsubscribe()
        self._subscriptions = []

    @contextlib.contextmanager
    def watching(self, session: Session) -> Iterator[Session]:
        """Hand the story's facts and ticks to ``session`` until the block ends."""
        self._sessions[session.story_id].add(session)
        LIVE_CLIENTS.inc()
        try:
            yield session
        finally:
            LIVE_CLIENTS.dec()
            watching = self._sessions.get(session.story_id)
            if watching is not None:
                watching.discard(session)
                if not watching:
                    del self._sessions[session.story_id]

    async def _on_fact(self, message: Msg) -> None:
        story_id = self._topology.subjects.story_id_of(message.subject)
        watching = self._sessions.get(story_id)
        if not watching:
            return
        try:
            fact = recorded_from(message, message.metadata.sequence.stream)
        except CorruptEvent as error:
            log.error("skipping a fact clients cannot be shown: %s", error)
            return
        for session in list(watching):
            session.offer_fact(fact)

    async def _on_tick(self, message: Msg) -> None:
        story_id = message.subject.rsplit(".", 1)[-1]
        watching = self._sessions.get(story_id)
        if not watching:
            return
        try:
            tick = json.loads(message.data)
        except ValueError:
            log.warning("ignoring a progress tick that is not JSON on %s", message.subject)
            return
        if not isinstance(tick, dict):
            return
        for session in list(watching):
            session.offer_tick(tick)
