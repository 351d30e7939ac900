"""Idempotency keys as the IETF ``Idempotency-Key`` draft and Stripe define them.

A key belongs to one user and is bound to the first request sent with it (method, path, query
and body, as a fingerprint). The same key with the same request replays the first answer; with
another request it is refused (422); while the first request still runs, a repeat gets 409. A
key is forgotten after :data:`KEY_TTL`. The command id that derives the request's event ids is
drawn once per key and stored with it, so a request retried after a crash writes nothing twice.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Protocol

from vp_contracts.ids import new_id

KEY_TTL = timedelta(hours=24)
"""How long a key is remembered (Stripe keeps keys 24 hours)."""
LEASE = timedelta(seconds=60)
"""A first request silent for this long is taken for dead: a repeat runs it again."""
MAX_STORED_BODY = 1_000_000


@dataclass(frozen=True)
class Answer:
    """The first answer given under a key, replayed byte for byte."""

    status: int
    content_type: str
    body: bytes


@dataclass(frozen=True)
class KeyRecord:
    fingerprint: str
    method: str
    path: str
    command_id: str
    created_at: datetime
    touched_at: datetime
    answer: Answer | None = None


class IdempotencyRecords(Protocol):
    """Where keys are kept (the gateway's database; a dict in unit tests)."""

    async def insert(self, user_id: str, key: str, record: KeyRecord) -> bool:
        """Store ``record`` unless the user has the key already; whether it was stored."""

    async def get(self, user_id: str, key: str) -> KeyRecord | None: ...

    async def replace_if_untouched_since(
        self, user_id: str, key: str, record: KeyRecord, since: datetime
    ) -> bool:
        """Overwrite the key's record if it was last touched before ``since`` (one winner)."""

    async def finish(self, user_id: str, key: str, answer: Answer) -> None: ...

    async def release(self, user_id: str, key: str) -> None:
        """Let a repeat take the key over at once (the first try ended without an answer)."""


@dataclass(frozen=True)
class Proceed:
    """Run the request with this command id (first time, or taking over a dead first try)."""

    command_id: str


@dataclass(frozen=True)
class Replay:
    answer: Answer


@dataclass(frozen=True)
class Mismatch:
    """The key was used for another request."""

    method: str
    path: str


@dataclass(frozen=True)
class InProgress:
    retry_after: int


Decision = Proceed | Replay | Mismatch | InProgress


def fingerprint(method: str, path: str, query: str, body: bytes) -> str:
    """The request a key is bound to. JSON bodies count by content (key order and white space
    do not make another request); any other body counts byte for byte."""
    try:
        content = json.dumps(json.loads(body), sort_keys=True, separators=(",", ":")).encode()
    except ValueError:
        content = body
    digest = hashlib.sha256()
    for part in (method.upper().encode(), path.encode(), query.encode(), content):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


def worth_keeping(status: int, body: bytes) -> bool:
    """Answers replayed later: what the request did, not a server failure (5xx, which the
    client may retry) nor a request turned away before it ran (429)."""
    return status < 500 and status != 429 and len(body) <= MAX_STORED_BODY


class Idempotency:
    def __init__(self, records: IdempotencyRecords) -> None:
        self._records = records

    async def begin(
        self, user_id: str, key: str, method: str, path: str, print_: str, now: datetime
    ) -> Decision:
        fresh = KeyRecord(print_, method, path, new_id(), now, now)
        for _ in range(3):
            if await self._records.insert(user_id, key, fresh):
                return Proceed(fresh.command_id)
            stored = await self._records.get(user_id, key)
            if stored is None:
                continue  # forgotten meanwhile: insert again
            if stored.created_at <= now - KEY_TTL:
                if await self._records.replace_if_untouched_since(
                    user_id, key, fresh, stored.touched_at + timedelta(microseconds=1)
                ):
                    return Proceed(fresh.command_id)
                continue
            if stored.fingerprint != print_:
                return Mismatch(stored.method, stored.path)
            if stored.answer is not None:
                return Replay(stored.answer)
            if stored.touched_at > now - LEASE:
                left = stored.touched_at + LEASE - now
                return InProgress(max(1, min(5, int(left.total_seconds()))))
            takeover = replace(stored, touched_at=now)
            if await self._records.replace_if_untouched_since(user_id, key, takeover, now - LEASE):
                return Proceed(stored.command_id)
        return InProgress(1)

    async def finish(self, user_id: str, key: str, answer: Answer | None) -> None:
        """Keep the answer for replays; without one worth keeping, a repeat runs the request
        again under the same command id, so what the first try wrote is not written twice."""
        if answer is not None and worth_keeping(answer.status, answer.body):
            await self._records.finish(user_id, key, answer)
        else:
            await self._records.release(user_id, key)
