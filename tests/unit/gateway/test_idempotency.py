"""The Idempotency-Key rules, on an in-memory store of keys."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from vp_gateway.service.idempotency import (
    KEY_TTL,
    LEASE,
    Answer,
    Idempotency,
    InProgress,
    KeyRecord,
    Mismatch,
    Proceed,
    Replay,
    fingerprint,
)

T0 = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
CREATED = Answer(201, "application/json", b'{"id": "s-1"}')


class InMemoryRecords:
    def __init__(self) -> None:
        self.rows: dict[tuple[str, str], KeyRecord] = {}

    async def insert(self, user_id: str, key: str, record: KeyRecord) -> bool:
        if (user_id, key) in self.rows:
            return False
        self.rows[user_id, key] = record
        return True

    async def get(self, user_id: str, key: str) -> KeyRecord | None:
        return self.rows.get((user_id, key))

    async def replace_if_untouched_since(
        self, user_id: str, key: str, record: KeyRecord, since: datetime
    ) -> bool:
        stored = self.rows.get((user_id, key))
        if stored is None or stored.touched_at >= since:
            return False
        self.rows[user_id, key] = record
        return True

    async def finish(self, user_id: str, key: str, answer: Answer) -> None:
        self.rows[user_id, key] = replace(self.rows[user_id, key], answer=answer)

    async def release(self, user_id: str, key: str) -> None:
        self.rows[user_id, key] = replace(
            self.rows[user_id, key], touched_at=datetime.min.replace(tzinfo=UTC)
        )


def printed(body: bytes = b'{"title": "A"}', path: str = "/stories/") -> str:
    return fingerprint("POST", path, "", body)


async def test_the_first_request_proceeds_and_a_repeat_replays_its_answer() -> None:
    keys = Idempotency(InMemoryRecords())
    first = await keys.begin("u1", "k1", "POST", "/stories/", printed(), T0)
    assert isinstance(first, Proceed)
    await keys.finish("u1", "k1", CREATED)
    again = await keys.begin("u1", "k1", "POST", "/stories/", printed(), T0 + timedelta(seconds=5))
    assert again == Replay(CREATED)


async def test_the_same_json_written_differently_is_the_same_request() -> None:
    assert printed(b'{"a": 1, "b": [1, 2]}') == printed(b'{ "b":[1,2],\n "a":1 }')
    assert printed(b'{"a": 1}') != printed(b'{"a": 2}')
    assert printed(b"not json") == printed(b"not json") != printed(b"not json!")
    assert printed(path="/stories/a/") != printed(path="/stories/b/")


async def test_a_used_key_with_another_request_is_a_mismatch_naming_the_first() -> None:
    keys = Idempotency(InMemoryRecords())
    await keys.begin("u1", "k1", "PATCH", "/stories/a/", printed(path="/stories/a/"), T0)
    other = await keys.begin("u1", "k1", "PATCH", "/stories/b/", printed(path="/stories/b/"), T0)
    assert other == Mismatch("PATCH", "/stories/a/")


async def test_keys_belong_to_their_user() -> None:
    keys = Idempotency(InMemoryRecords())
    assert isinstance(await keys.begin("u1", "k1", "POST", "/s/", printed(), T0), Proceed)
    assert isinstance(await keys.begin("u2", "k1", "POST", "/s/", printed(b"{}"), T0), Proceed)


async def test_a_repeat_while_the_first_runs_waits_and_takes_over_a_dead_one() -> None:
    keys = Idempotency(InMemoryRecords())
    first = await keys.begin("u1", "k1", "POST", "/s/", printed(), T0)
    assert isinstance(first, Proceed)
    running = await keys.begin("u1", "k1", "POST", "/s/", printed(), T0 + timedelta(seconds=1))
    assert isinstance(running, InProgress) and 1 <= running.retry_after <= 5
    later = T0 + LEASE + timedelta(seconds=1)
    takeover = await keys.begin("u1", "k1", "POST", "/s/", printed(), later)
    # The same command id: what the dead first try wrote is recognised, not written again.
    assert takeover == Proceed(first.command_id)


async def test_a_server_error_is_not_replayed_and_the_retry_keeps_the_command_id() -> None:
    keys = Idempotency(InMemoryRecords())
    first = await keys.begin("u1", "k1", "POST", "/s/", printed(), T0)
    assert isinstance(first, Proceed)
    await keys.finish("u1", "k1", Answer(500, "application/json", b"{}"))
    retry = await keys.begin("u1", "k1", "POST", "/s/", printed(), T0 + timedelta(seconds=1))
    assert retry == Proceed(first.command_id)


async def test_an_expired_key_starts_afresh_with_a_new_command_id() -> None:
    keys = Idempotency(InMemoryRecords())
    first = await keys.begin("u1", "k1", "POST", "/s/", printed(), T0)
    await keys.finish("u1", "k1", CREATED)
    later = T0 + KEY_TTL + timedelta(minutes=1)
    again = await keys.begin("u1", "k1", "POST", "/s/", printed(b"{}"), later)
    assert isinstance(again, Proceed) and isinstance(first, Proceed)
    assert again.command_id != first.command_id
