"""Appending to the story stream: each fact published with ``Nats-Msg-Id`` = its event id
(JetStream drops a retried copy) under optimistic concurrency over the whole story
(``Nats-Expected-Last-Subject-Sequence`` with ``...-Subject: vp.story.<id>.>``); several facts
of one command go in one atomic batch."""

from __future__ import annotations

import asyncio
import json
import random
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from nats.aio.client import Client
from nats.errors import TimeoutError as NatsTimeoutError
from nats.js.errors import APIError
from vp_contracts.envelope import Envelope, RecordedEvent
from vp_contracts.events.base import Event

from vp_runtime.eventstore.port import (
    AppendError,
    DuplicateEventId,
    EventMeta,
    WrongExpectedVersion,
    envelope_for,
)
from vp_runtime.eventstore.reader import StreamReader
from vp_runtime.messaging.topology import Topology

CONFLICT_CODES = frozenset({10071, 10164, 10163})
"""Wrong last sequence (and its 2.11+ variants): reload, decide again, append again."""
BATCH_DUPLICATE_CODE = 10201
"""An atomic batch holds a message id the duplicate window has seen: nothing was stored."""

PUBLISH_TIMEOUT = 5.0
PUBLISH_TRIES = 3

HeaderHook = Callable[[dict[str, str]], None]


@dataclass(frozen=True)
class Prepared:
    """One fact as it goes on the wire."""

    subject: str
    payload: bytes
    headers: dict[str, str]
    envelope: Envelope
    event: Event


class StreamAppender:
    def __init__(
        self,
        client: Client,
        topology: Topology,
        reader: StreamReader,
        source: str,
        header_hooks: Sequence[HeaderHook] = (),
    ) -> None:
        self._client = client
        self._js = client.jetstream(timeout=PUBLISH_TIMEOUT)
        self._subjects = topology.subjects
        self._reader = reader
        self._source = source
        self._header_hooks = tuple(header_hooks)

    async def append(
        self, story_id: str, events: Sequence[Event], *, expected_version: int, meta: EventMeta
    ) -> tuple[RecordedEvent[Event], ...]:
        """Append ``events`` if the story's last sequence is ``expected_version``.

        Raises :class:`WrongExpectedVersion` on a conflict.
        """
        if not events:
            return ()
        prepared = [
            self.prepare(story_id, event, index, meta) for index, event in enumerate(events)
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

    def prepare(self, story_id: str, event: Event, index: int, meta: EventMeta) -> Prepared:
        envelope = envelope_for(story_id, event, index, meta, self._source)
        headers = envelope.headers()
        headers["Nats-Msg-Id"] = envelope.id
        for hook in self._header_hooks:
            hook(headers)
        subject = self._subjects.story_event(story_id, event.name)
        return Prepared(subject, event.model_dump_json().encode(), headers, envelope, event)

    async def _stored_copy(
        self, story_id: str, after: int, ids: Sequence[str]
    ) -> tuple[RecordedEvent[Event], ...] | None:
        newer = await self._reader.load(story_id, after=after)
        by_id = {recorded.envelope.id: recorded for recorded in newer}
        if ids[0] not in by_id:
            return None
        return tuple(by_id[event_id] for event_id in ids if event_id in by_id)

    async def _publish_one(self, item: Prepared) -> int:
        for attempt in range(PUBLISH_TRIES):
            try:
                ack = await self._js.publish(item.subject, item.payload, headers=item.headers)
            except APIError as error:
                raise _classify(error.err_code, error.description) from error
            except NatsTimeoutError:
                # The same Nats-Msg-Id makes a retry safe: a stored copy is not stored twice.
                if attempt == PUBLISH_TRIES - 1:
                    raise
                await asyncio.sleep(backoff(attempt))
                continue
            if ack.duplicate:
                await self._check_same_fact(int(ack.seq), item)
            return int(ack.seq)
        raise AssertionError("unreachable")

    async def _check_same_fact(self, sequence: int, item: Prepared) -> None:
        """A duplicate answer is a success only when the fact stored under the id is ours."""
        subject, data = await self._reader.stored_at(sequence)
        if subject == item.subject and data == item.payload:
            return
        raise DuplicateEventId(
            f"event id {item.envelope.id} is already used by another fact (sequence {sequence},"
            f" {subject or 'unknown subject'}); {item.subject} was not stored"
        )

    async def _publish_batch(self, prepared: Sequence[Prepared], guard: dict[str, str]) -> int:
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


def backoff(attempt: int) -> float:
    """Full jitter: up to 5 ms doubling per attempt, capped at 250 ms."""
    return random.uniform(0, min(0.25, 0.005 * 2**attempt))
