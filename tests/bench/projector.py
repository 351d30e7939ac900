"""The read model's projector on PostgreSQL: facts per second applied one at a time (one
transaction each, as before) against batches of :data:`PROJECTOR_BATCH` in one transaction.

The facts are real Story lives (created, edited, planned, previews and renders with their jobs
and costs, failures, cancellations), written by the decider to an in-memory log, so the figure
measures the projection and the database, not NATS. Each side starts from an empty schema.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from vp_contracts.envelope import RecordedEvent
from vp_contracts.events.base import Event
from vp_gateway.adapters.db.engine import make_engine, upgrade_async
from vp_gateway.adapters.db.readmodel import ReadModel
from vp_runtime.eventstore import InMemoryStoryLog
from vp_runtime.messaging.topology import PROJECTOR_BATCH

from tests.support.facts import Driver
from tests.support.servers import fresh_schema, postgres_database

Row = tuple[str, str, str]
OWNERS = 120
"""About 6,000 facts."""


async def run() -> list[Row]:
    log = InMemoryStoryLog()
    await Driver(log).many_lives(owners=OWNERS)
    facts = log.facts
    with postgres_database() as database:
        single = await _rate(database, facts, batch=1)
        batched = await _rate(database, facts, batch=PROJECTOR_BATCH)
    return [
        (
            f"projector, one fact per transaction ({len(facts)} facts, PostgreSQL)",
            f"{single:,.0f} facts/s",
            "-",
        ),
        (
            f"projector, batches of {PROJECTOR_BATCH} in one transaction",
            f"{batched:,.0f} facts/s",
            f"{'met' if batched >= 5000 else 'MISSED'}: >= 5,000 facts/s ({batched / single:.1f}x)",
        ),
    ]


async def _rate(database: str, facts: Sequence[RecordedEvent[Event]], batch: int) -> float:
    with fresh_schema(database) as url:
        await upgrade_async(url)
        engine, sessions = make_engine(url)
        readmodel = ReadModel(sessions)
        started = time.perf_counter()
        if batch == 1:
            for fact in facts:
                await readmodel.apply(fact)
        else:
            for start in range(0, len(facts), batch):
                chunk = facts[start : start + batch]
                await readmodel.apply_batch(chunk, chunk[0].sequence, chunk[-1].sequence)
        elapsed = time.perf_counter() - started
        assert await readmodel.position() == facts[-1].sequence
        await engine.dispose()
    return len(facts) / elapsed
