"""The Story event log on JetStream: a :class:`~vp_runtime.eventstore.port.StoryLog`.

A command is executed by folding the story (from the in-process cache, else its snapshot, then
only the newer facts), deciding, and appending under optimistic concurrency; on a conflict the
story is folded again and the command decided again. Reading and appending on the wire are
:mod:`~vp_runtime.eventstore.reader` and :mod:`~vp_runtime.eventstore.append`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Sequence

from nats.aio.client import Client
from vp_contracts.envelope import RecordedEvent
from vp_contracts.events.base import Event
from vp_contracts.ids import event_id
from vp_contracts.story.commands import Command
from vp_contracts.story.decider import decide
from vp_contracts.story.view import INITIAL, StoryView
from vp_contracts.subjects import check_token

from vp_runtime.eventstore.append import HeaderHook, StreamAppender, backoff
from vp_runtime.eventstore.cache import ViewCache
from vp_runtime.eventstore.port import (
    ConcurrencyError,
    Decide,
    EventMeta,
    Outcome,
    WrongExpectedVersion,
)
from vp_runtime.eventstore.reader import StreamReader
from vp_runtime.eventstore.snapshots import SnapshotStore
from vp_runtime.messaging.topology import Topology

log = logging.getLogger(__name__)

SNAPSHOT_EVERY = 100
"""Store a snapshot each time a story passes a multiple of this many facts."""


class EventStore:
    """Load, fold, decide and append Story facts."""

    def __init__(
        self,
        client: Client,
        topology: Topology,
        source: str,
        *,
        cache_size: int = 2048,
        max_attempts: int = 10,
        header_hooks: Sequence[HeaderHook] = (),
        snapshots: SnapshotStore | None = None,
        snapshot_every: int = SNAPSHOT_EVERY,
    ) -> None:
        self._client = client
        self._topology = topology
        self._reader = StreamReader(client, topology)
        self.appender = StreamAppender(client, topology, self._reader, source, header_hooks)
        self._cache = ViewCache(cache_size)
        self._max_attempts = max_attempts
        self._snapshots = snapshots
        self._snapshot_every = snapshot_every
        self._snapshot_tasks: set[asyncio.Task[None]] = set()

    @property
    def topology(self) -> Topology:
        return self._topology

    # -- reading -----------------------------------------------------------------------

    async def load(self, story_id: str, after: int = 0) -> list[RecordedEvent[Event]]:
        """Every fact of the story with a stream sequence above ``after``, oldest first."""
        return await self._reader.load(story_id, after)

    def replay(
        self, after: int = 0, until: int | None = None
    ) -> AsyncIterator[RecordedEvent[Event]]:
        """Every fact of every story in log order; invalid stored messages are skipped."""
        return self._reader.replay(after, until)

    async def head(self) -> int:
        """Sequence of the newest fact of any story (what a projection must reach to be current)."""
        return await self._reader.head()

    async def last_sequence(self, story_id: str) -> int:
        """Stream sequence of the story's newest fact, 0 if none (one direct get)."""
        return await self._reader.last_sequence(story_id)

    async def view(self, story_id: str) -> StoryView:
        """The story folded up to its newest fact (``INITIAL`` if it has none).

        Starts from the in-process cache, else from the story's snapshot, and reads only the
        facts after it. An id that is not a subject token raises ValueError before any I/O.
        """
        check_token(story_id, "story id")
        state = self._cache.get(story_id)
        if state is None:
            state = (await self._snapshots.get(story_id) if self._snapshots else None) or INITIAL
        newer = await self._reader.load(story_id, after=state.version)
        view = self._cache.remember(story_id, state, newer)
        self._maybe_snapshot(state, view)
        return view

    # -- writing -----------------------------------------------------------------------

    async def execute(
        self, command: Command, meta: EventMeta, decide_fn: Decide = decide
    ) -> Outcome:
        """Load, decide and append; on a conflict reload and decide again (bounded, jittered).

        ``Refused`` from the decider propagates and nothing is written. A lost ack that was in
        fact stored is recognised by its event id and reported as the outcome.
        """
        first_id = event_id(command.story_id, meta.command_id, 0)
        for attempt in range(self._max_attempts):
            state = await self.view(command.story_id)
            if first_id in self._cache.recorded_ids(command.story_id):
                return Outcome((), state, duplicate=True)
            events = decide_fn(command, state)
            if not events:
                return Outcome((), state)
            try:
                recorded = await self.append(
                    command.story_id, events, expected_version=state.version, meta=meta
                )
            except WrongExpectedVersion:
                await asyncio.sleep(backoff(attempt))
                continue
            view = self._cache.remember(command.story_id, state, recorded)
            self._maybe_snapshot(state, view)
            return Outcome(recorded, view, duplicate=recorded[0].sequence <= state.version)
        raise ConcurrencyError(
            f"story {command.story_id} kept changing; gave up after {self._max_attempts} tries"
        )

    async def append(
        self, story_id: str, events: Sequence[Event], *, expected_version: int, meta: EventMeta
    ) -> tuple[RecordedEvent[Event], ...]:
        """Append ``events`` if the story's last sequence is ``expected_version``.

        Raises :class:`WrongExpectedVersion` on a conflict.
        """
        return await self.appender.append(
            story_id, events, expected_version=expected_version, meta=meta
        )

    # -- snapshots ---------------------------------------------------------------------

    def _maybe_snapshot(self, before: StoryView, after: StoryView) -> None:
        every = self._snapshot_every
        if self._snapshots is None or after.event_count // every == before.event_count // every:
            return
        task = asyncio.create_task(self._put_snapshot(after))
        self._snapshot_tasks.add(task)
        task.add_done_callback(self._snapshot_tasks.discard)

    async def _put_snapshot(self, view: StoryView) -> None:
        assert self._snapshots is not None
        try:
            await self._snapshots.put(view)
        except Exception:  # a snapshot is only a cache: losing one costs a longer replay
            log.warning("could not store the snapshot of story %s", view.story_id, exc_info=True)

    async def flush_snapshots(self) -> None:
        """Wait for snapshot writes in flight (tests, shutdown)."""
        if self._snapshot_tasks:
            await asyncio.gather(*self._snapshot_tasks, return_exceptions=True)
