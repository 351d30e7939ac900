"""Reading the story stream with JetStream direct gets: one story's facts (``next_by_subj``
in batches), every fact in log order, the newest sequence."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from typing import Any

from nats.aio.client import Client
from nats.aio.msg import Msg
from vp_contracts.envelope import RecordedEvent
from vp_contracts.events.base import Event
from vp_contracts.facts import UnreadableFact, read_fact

from vp_runtime.aio import Fresh
from vp_runtime.eventstore.port import AppendError, CorruptEvent
from vp_runtime.messaging.topology import Topology

log = logging.getLogger(__name__)

LOAD_BATCH = 1000
TIMEOUT = 5.0


def recorded_from(message: Msg, sequence: int) -> RecordedEvent[Event]:
    """The fact in a stored message (direct get or consumer delivery) at ``sequence``."""
    headers = message.headers or {}
    try:
        return read_fact(headers, message.data, sequence)
    except UnreadableFact as error:
        where = f"{headers.get('Nats-Subject', message.subject)} #{sequence}"
        raise CorruptEvent(f"stored message {where} is not a valid event: {error}") from error


def _recorded(message: Msg) -> RecordedEvent[Event]:
    return recorded_from(message, int((message.headers or {})["Nats-Sequence"]))


class StreamReader:
    def __init__(self, client: Client, topology: Topology) -> None:
        self._client = client
        self._topology = topology
        self._subjects = topology.subjects
        self._direct = f"$JS.API.DIRECT.GET.{topology.story_stream}"
        self._info = f"$JS.API.STREAM.INFO.{topology.story_stream}"
        self._head = Fresh(self._stream_head)

    async def load(self, story_id: str, after: int = 0) -> list[RecordedEvent[Event]]:
        """Every fact of the story with a stream sequence above ``after``, oldest first."""
        subject = self._subjects.story(story_id)
        found: list[RecordedEvent[Event]] = []
        start = after + 1
        while True:
            messages, more = await self._batch(subject, start)
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
            messages, more = await self._batch(self._subjects.all_stories(), start)
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

    async def head(self) -> int:
        """Sequence of the newest fact of any story (what a projection must reach to be current),
        as of a moment after the call: concurrent callers share one stream-info request."""
        return await self._head()

    async def _stream_head(self) -> int:
        reply = await self._client.request(self._info, b"", timeout=TIMEOUT)
        info = json.loads(reply.data)
        if "error" in info:
            raise AppendError(
                f"stream info of {self._topology.story_stream} failed: {info['error']}"
            )
        return int(info["state"]["last_seq"])

    async def last_sequence(self, story_id: str) -> int:
        """Stream sequence of the story's newest fact, 0 if none (one direct get)."""
        headers = await self._get({"last_by_subj": self._subjects.story(story_id)})
        return 0 if headers is None else int(headers["Nats-Sequence"])

    async def stored_at(self, sequence: int) -> tuple[str | None, bytes]:
        """Subject and body of the message at ``sequence``."""
        reply = await self._client.request(
            self._direct, json.dumps({"seq": sequence}).encode(), timeout=TIMEOUT
        )
        return (reply.headers or {}).get("Nats-Subject"), reply.data

    async def _get(self, request: dict[str, Any]) -> dict[str, str] | None:
        reply = await self._client.request(
            self._direct, json.dumps(request).encode(), timeout=TIMEOUT
        )
        headers = reply.headers or {}
        if headers.get("Status") == "404":
            return None
        if "Status" in headers:
            raise AppendError(f"direct get failed: {headers}")
        return headers

    async def _batch(self, subject: str, start: int) -> tuple[list[Msg], bool]:
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
            await self._client.publish(self._direct, json.dumps(request).encode(), reply=inbox)
            await asyncio.wait_for(done, timeout=TIMEOUT)
        finally:
            await subscription.unsubscribe()
        return messages, state["more"]
