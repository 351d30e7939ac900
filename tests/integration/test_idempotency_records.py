"""The SQL store of idempotency keys on PostgreSQL: the same rules as the in-memory one the
unit tests use (insert once, conditional takeover, answers kept, expiry)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from vp_gateway.adapters.db.engine import make_engine, upgrade_async
from vp_gateway.adapters.db.idempotency import SqlIdempotencyRecords
from vp_gateway.service.idempotency import KEY_TTL, LEASE, Answer, Idempotency, Proceed, Replay

from tests.support.servers import fresh_schema
from tests.unit.gateway.test_idempotency import printed

pytestmark = pytest.mark.integration
T0 = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
async def records(database_url: str) -> AsyncIterator[SqlIdempotencyRecords]:
    with fresh_schema(database_url) as url:
        await upgrade_async(url)
        engine, sessions = make_engine(url)
        try:
            yield SqlIdempotencyRecords(sessions)
        finally:
            await engine.dispose()


async def test_keys_in_the_database_follow_the_same_rules(records: SqlIdempotencyRecords) -> None:
    keys = Idempotency(records)
    first = await keys.begin("u1", "key-1", "POST", "/s/", printed(), T0)
    assert isinstance(first, Proceed)
    assert not await records.insert("u1", "key-1", (await records.get("u1", "key-1")))  # type: ignore[arg-type]
    later = T0 + LEASE + timedelta(seconds=1)
    assert await keys.begin("u1", "key-1", "POST", "/s/", printed(), later) == first
    answer = Answer(201, "application/json", b'{"id": 1}')
    await keys.finish("u1", "key-1", answer)
    assert await keys.begin("u1", "key-1", "POST", "/s/", printed(), later) == Replay(answer)


async def test_expired_keys_are_forgotten(records: SqlIdempotencyRecords) -> None:
    keys = Idempotency(records)
    await keys.begin("u1", "old-key", "POST", "/s/", printed(), T0)
    await keys.begin("u1", "new-key", "POST", "/s/", printed(), T0 + KEY_TTL)
    assert await records.expire(T0 + KEY_TTL + timedelta(minutes=1)) == 1
    assert await records.get("u1", "old-key") is None
    assert await records.get("u1", "new-key") is not None
