"""The Story event log on JetStream.

Append publishes each fact with ``Nats-Msg-Id`` = event id (JetStream drops a retried copy)
and optimistic concurrency over the whole story (``Nats-Expected-Last-Subject-Sequence`` with
``...-Subject: vp.story.<id>.>``). Several facts from one command go in one atomic batch.
Load reads a story's facts in order with batch direct gets and folds them; folded views are
kept in a small cache and brought up to date by reading only the newer facts.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import uuid
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.errors import TimeoutError as NatsTimeoutError
from nats.js.errors import APIError
from pydantic import ValidationError
from vp_contracts.envelope import Envelope, EnvelopeError, RecordedEvent
from vp_contracts.events.base import Event
from vp_contracts.events.registry import UnknownEventType, parse_event
from vp_contracts.ids import event_id
from vp_contracts.story.commands import Command
from vp_contracts.story.decider import decide
from vp_contracts.story.view import INITIAL, StoryView, evolve
from vp_contracts.subjects import check_token

from vp_runtime.eventstore.snapshots import SnapshotStore
from vp_runtime.messaging.topology import Topology

log = logging.getLogger(__name__)

CONFLICT_CODES = frozenset({10071, 10164, 10163})
"""Wrong last sequence (and its 2.11+ variants): reload, decide again, append again."""
BATCH_DUPLICATE_CODE = 10201
"""An atomic batch holds a message id the duplicate window has seen: nothing was stored."""

LOAD_BATCH = 1000
SNAPSHOT_EVERY = 100
"""Store a snapshot each time a story passes a multiple of this many facts."""
PUBLISH_TIMEOUT = 5.0
PUBLISH_TRIES = 3

Decide = Callable[[Command, StoryView], list[Event]]
HeaderHook = Callable[[dict[str, str]], None]


class WrongExpectedVersion(Exception):
    """Someone appended to the story since it was loaded."""


class ConcurrencyError(RuntimeError):
    """The story kept changing under us; gave up after the bounded retries."""


class CorruptEvent(RuntimeError):
    """A stored message is not a valid event of a known type."""


class AppendError(RuntimeError):
    """The server refused an append for a reason other than a conflict."""


class DuplicateEventId(AppendError):
    """The server already holds another fact under this event id, so ours was not stored.

    Event ids derive from the story and the command, so this means a command id was reused
    for a different command: a bug of the caller, never a success.
    """


@dataclass(frozen=True)
class EventMeta:
    """Who and what caused the facts; event ids derive from ``command_id``."""

    command_id: str
    at: datetime
    actor: str | None = None
    correlation_id: str | None = None
    causation_id: str | None = None


@dataclass(frozen=True)
class Outcome:
    """What a command did: the facts it recorded and the story after them."""

    events: tuple[RecordedEvent[Event], ...]
    view: StoryView
    duplicate: bool = False

    @property
    def version(self) -> int:
        return self.view.version


@dataclass(frozen=True)
class _Prepared:
    subject: str
    payload: bytes
    headers: dict[str, str]
    envelope: Envelope
    event: Event


@dataclass
class _Cached:
    view: StoryView
    recent_ids: dict[str, int] = field(default_factory=dict)


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
        self._js = client.jetstream(timeout=PUBLISH_TIMEOUT)
        self._topology = topology
        self._subjects = topology.subjects
        self._source = source
        self._cache: OrderedDict[str, _Cached] = OrderedDict()
        self._cache_size = cache_size
        self._max_attempts = max_attempts
        self._header_hooks = tuple(header_hooks)
        self._snapshots = snapshots
        self._snapshot_every = snapshot_every
        self._snapshot_tasks: set[asyncio.Task[None]] = set()

    @property
    def topology(self) -> Topology:
        return self._topology

    # -- reading -----------------------------------------------------------------------

    async def load(self, story_id: str, after: int = 0) -> list[RecordedEvent[Event]]:
        """Every fact of the story with a stream sequence above ``after``, oldest first."""
        subject = self._subjects.story(story_id)
        found: list[RecordedEvent[Event]] = []
        start = after + 1
        while True:
            messages, more = await self._direct_batch(subject, start)
            found.extend(_recorded(message) for message in messages)
            if not more or not messages:
                return found
            start = found[-1].sequence + 1

    async def replay(
        self, after: int = 0, until: int | None = None
    ) -> AsyncIterator[RecordedEvent[Event]]:
        """Every fact of every story, in log order (for rebuilding projections).

        A stored message that is not a valid fact is logged and skipped, as live consumers
        dead-letter and skip it.
        """
        until = until if until is not None else await self.head()
        start = after + 1
        while start <= until:
            messages, more = await self._direct_batch(self._subjects.all_stories(), start)
            for message in messages:
                sequence = int((message.headers or {})["Nats-Sequence"])
                if sequence > until:
                    return
                start = sequence + 1
                try:
                    recorded = _recorded(message)
                except CorruptEvent as error:
                    log.error("skipping %s", error)
                    continue
                yield recorded
            if not more or not messages:
                return

    async def view(self, story_id: str) -> StoryView:
        """The story folded up to its newest fact (``INITIAL`` if it has none).

        Starts from the in-process cache, else from the story's snapshot, and reads only the
        facts after it. An id that is not a subject token raises ValueError before any I/O.
        """
        check_token(story_id, "story id")
        cached = self._cache.get(story_id)
        if cached is not None:
            state = cached.view
        elif self._snapshots is not None:
            state = await self._snapshots.get(story_id) or INITIAL
        else:
            state = INITIAL
        newer = await self.load(story_id, after=state.version)
        view = self._remember(story_id, state, newer)
        self._maybe_snapshot(state, view)
        return view

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

    async def head(self) -> int:
        """Sequence of the newest fact of any story (what a projection must reach to be current)."""
        info = await self._js.stream_info(self._topology.story_stream)
        return int(info.state.last_seq)

    async def last_sequence(self, story_id: str) -> int:
        """Stream sequence of the story's newest fact, 0 if none (one direct get)."""
        request = json.dumps({"last_by_subj": self._subjects.story(story_id)}).encode()
        reply = await self._client.request(
            f"$JS.API.DIRECT.GET.{self._topology.story_stream}", request, timeout=PUBLISH_TIMEOUT
        )
        headers = reply.headers or {}
        if headers.get("Status") == "404":
            return 0
        if "Status" in headers:
            raise AppendError(f"direct get failed: {headers}")
        return int(headers["Nats-Sequence"])

    async def _direct_batch(self, subject: str, start: int) -> tuple[list[Msg], bool]:
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        messages: list[Msg] = []
        state = {"more": False}

        async def collect(message: Msg) -> None:
            headers = message.headers or {}
            status = headers.get("Status")
            if status is None:
                messages.append(message)
                return
            if status == "204":
                state["more"] = int(headers.get("Nats-Num-Pending", "0")) > 0
            elif status != "404" and not done.done():
                done.set_exception(AppendError(f"direct get of {subject} failed: {headers}"))
                return
            if not done.done():
                done.set_result(None)

        inbox = self._client.new_inbox()
        subscription = await self._client.subscribe(inbox, cb=collect)
        try:
            request = {"seq": start, "next_by_subj": subject, "batch": LOAD_BATCH}
            await self._client.publish(
                f"$JS.API.DIRECT.GET.{self._topology.story_stream}",
                json.dumps(request).encode(),
                reply=inbox,
            )
            await asyncio.wait_for(done, timeout=PUBLISH_TIMEOUT)
        finally:
            await subscription.unsubscribe()
        return messages, state["more"]

    def _remember(
        self, story_id: str, state: StoryView, newer: Sequence[RecordedEvent[Event]]
    ) -> StoryView:
        cached = self._cache.pop(story_id, None) or _Cached(INITIAL)
        if cached.view.version != state.version:
            cached = _Cached(state)
        for recorded in newer:
            if recorded.sequence <= state.version:
                continue
            state = evolve(state, recorded)
            cached.recent_ids[recorded.envelope.id] = recorded.sequence
        cached.view = state
        while len(cached.recent_ids) > 256:
            cached.recent_ids.pop(next(iter(cached.recent_ids)))
        if state.exists:
            self._cache[story_id] = cached
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return state

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
            already = self._recorded_ids(command.story_id).get(first_id)
            if already is not None:
                return Outcome((), state, duplicate=True)
            events = decide_fn(command, state)
            if not events:
                return Outcome((), state)
            try:
                recorded = await self.append(
                    command.story_id, events, expected_version=state.version, meta=meta
                )
            except WrongExpectedVersion:
                await asyncio.sleep(_backoff(attempt))
                continue
            view = self._remember(command.story_id, state, recorded)
            self._maybe_snapshot(state, view)
            return Outcome(recorded, view, duplicate=recorded[0].sequence <= state.version)
        raise ConcurrencyError(
            f"story {command.story_id} kept changing; gave up after {self._max_attempts} tries"
        )

    def _recorded_ids(self, story_id: str) -> dict[str, int]:
        cached = self._cache.get(story_id)
        return cached.recent_ids if cached else {}

    async def append(
        self, story_id: str, events: Sequence[Event], *, expected_version: int, meta: EventMeta
    ) -> tuple[RecordedEvent[Event], ...]:
        """Append ``events`` if the story's last sequence is ``expected_version``.

        Raises :class:`WrongExpectedVersion` on a conflict.
        """
        if not events:
            return ()
        prepared = [
            self._prepare(story_id, event, index, meta) for index, event in enumerate(events)
        ]
        guard = {
            "Nats-Expected-Last-Subject-Sequence": str(expected_version),
            "Nats-Expected-Last-Subject-Sequence-Subject": self._subjects.story(story_id),
        }
        try:
            if len(prepared) == 1:
                only = prepared[0]
                only.headers.update(guard)
                last = await self._publish_one(only)
            else:
                last = await self._publish_batch(prepared, guard)
        except (WrongExpectedVersion, DuplicateEventId):
            # The server checks the sequence before it looks for duplicates, so a retry of an
            # append whose ack was lost lands here: find it by its event ids.
            ids = [item.envelope.id for item in prepared]
            stored = await self._stored_copy(story_id, expected_version, ids)
            if stored is None:
                raise
            return stored
        first = last - len(prepared) + 1
        return tuple(RecordedEvent(p.envelope, p.event, first + i) for i, p in enumerate(prepared))

    async def _stored_copy(
        self, story_id: str, after: int, ids: Sequence[str]
    ) -> tuple[RecordedEvent[Event], ...] | None:
        newer = await self.load(story_id, after=after)
        by_id = {recorded.envelope.id: recorded for recorded in newer}
        if ids[0] not in by_id:
            return None
        return tuple(by_id[event_id] for event_id in ids if event_id in by_id)

    def _prepare(self, story_id: str, event: Event, index: int, meta: EventMeta) -> _Prepared:
        if event.story_id != story_id:
            raise ValueError(f"event for story {event.story_id} appended to story {story_id}")
        envelope = Envelope(
            id=event_id(story_id, meta.command_id, index),
            type=event.ce_type(),
            source=self._source,
            time=meta.at,
            story_id=story_id,
            actor=meta.actor,
            correlation_id=meta.correlation_id or meta.command_id,
            causation_id=meta.causation_id or meta.command_id,
        )
        headers = envelope.headers()
        headers["Nats-Msg-Id"] = envelope.id
        for hook in self._header_hooks:
            hook(headers)
        subject = self._subjects.story_event(story_id, event.name)
        return _Prepared(subject, event.model_dump_json().encode(), headers, envelope, event)

    async def _publish_one(self, item: _Prepared) -> int:
        for attempt in range(PUBLISH_TRIES):
            try:
                ack = await self._js.publish(item.subject, item.payload, headers=item.headers)
            except APIError as error:
                raise _classify(error.err_code, error.description) from error
            except NatsTimeoutError:
                # The same Nats-Msg-Id makes a retry safe: a stored copy is not stored twice.
                if attempt == PUBLISH_TRIES - 1:
                    raise
                await asyncio.sleep(_backoff(attempt))
                continue
            if ack.duplicate:
                await self._check_same_fact(int(ack.seq), item)
            return int(ack.seq)
        raise AssertionError("unreachable")

    async def _check_same_fact(self, sequence: int, item: _Prepared) -> None:
        """A duplicate answer is a success only when the fact stored under the id is ours."""
        reply = await self._client.request(
            f"$JS.API.DIRECT.GET.{self._topology.story_stream}",
            json.dumps({"seq": sequence}).encode(),
            timeout=PUBLISH_TIMEOUT,
        )
        headers = reply.headers or {}
        if headers.get("Nats-Subject") == item.subject and reply.data == item.payload:
            return
        raise DuplicateEventId(
            f"event id {item.envelope.id} is already used by another fact (sequence {sequence},"
            f" {headers.get('Nats-Subject', 'unknown subject')}); {item.subject} was not stored"
        )

    async def _publish_batch(self, prepared: Sequence[_Prepared], guard: dict[str, str]) -> int:
        batch_id = uuid.uuid4().hex
        for index, item in enumerate(prepared, start=1):
            headers = {**item.headers, "Nats-Batch-Id": batch_id, "Nats-Batch-Sequence": str(index)}
            if index == 1:
                headers.update(guard)
            if index < len(prepared):
                await self._client.publish(item.subject, item.payload, headers=headers)
                continue
            headers["Nats-Batch-Commit"] = "1"
            reply = await self._client.request(
                item.subject, item.payload, headers=headers, timeout=PUBLISH_TIMEOUT
            )
            answer: dict[str, Any] = json.loads(reply.data or b"{}")
            if "error" in answer:
                error = answer["error"]
                if error.get("err_code") == BATCH_DUPLICATE_CODE:
                    raise DuplicateEventId(
                        f"an event id of this batch is already stored: {error.get('description')}"
                    )
                raise _classify(error.get("err_code"), error.get("description", ""))
            return int(answer["seq"])
        raise AssertionError("unreachable")


def _classify(code: int | None, description: str | None) -> Exception:
    if code in CONFLICT_CODES:
        return WrongExpectedVersion(description or "wrong last sequence")
    return AppendError(f"append refused: {description} (code {code})")


def _backoff(attempt: int) -> float:
    """Full jitter: up to 5 ms doubling per attempt, capped at 250 ms."""
    return random.uniform(0, min(0.25, 0.005 * 2**attempt))


def _recorded(message: Msg) -> RecordedEvent[Event]:
    return recorded_from(message, int((message.headers or {})["Nats-Sequence"]))


def recorded_from(message: Msg, sequence: int) -> RecordedEvent[Event]:
    """The fact in a stored message (direct get or consumer delivery) at ``sequence``."""
    headers = message.headers or {}
    try:
        envelope = Envelope.from_headers(headers)
        event = parse_event(envelope.type, message.data)
    except (EnvelopeError, UnknownEventType, ValidationError, ValueError) as error:
        where = f"{headers.get('Nats-Subject', message.subject)} #{sequence}"

        raise CorruptEvent(f"stored message {where} is not a valid event: {error}") from error
    return RecordedEvent(envelope, event, sequence)
