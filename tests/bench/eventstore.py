"""Event store: appends with the concurrency check vs raw JetStream publishes; load + fold.

"Raw" publishes the very message an append stores (same CloudEvents headers, same body, a
fresh Nats-Msg-Id) with nats-py's ``js.publish`` and no check, so the ratio is the cost of
the concurrency check and of the store itself. Rounds alternate so that both sides see the
same machine load; medians are reported.
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from nats.js.client import JetStreamContext
from vp_contracts.events import story as e
from vp_contracts.ids import new_id
from vp_contracts.story import commands as c
from vp_contracts.story.view import fold
from vp_contracts.values import StorySpec
from vp_devtools import devnats
from vp_runtime.eventstore import EventMeta, EventStore, SnapshotStore
from vp_runtime.messaging.connection import connect
from vp_runtime.messaging.declare import declare
from vp_runtime.messaging.topology import Topology, default_topology
from vp_runtime.settings import RuntimeSettings

ROUNDS = 10
PER_ROUND = 400
WRITERS = 16
LOAD_EVENTS = 1000
LOAD_RUNS = 40

Row = tuple[str, str, str]


def _meta() -> EventMeta:
    return EventMeta(command_id=new_id(), at=datetime.now(UTC), actor="bench")


def _cost(story_id: str) -> e.CostRecorded:
    return e.CostRecorded(
        story_id=story_id,
        attempt_id="a",
        job_id="j",
        provider="offline",
        operation="image",
        units=1,
        amount=Decimal("0.002"),
    )


async def run() -> list[Row]:
    with tempfile.TemporaryDirectory() as tmp:
        server = devnats.start(Path(tmp))
        try:
            print(f"nats-server {server.version} at {server.url}")
            return await _measure(server.url)
        finally:
            server.stop()


async def _rate(work: Callable[[int], Awaitable[object]], count: int) -> float:
    started = time.perf_counter()
    for index in range(count):
        await work(index)
    return count / (time.perf_counter() - started)


class _Writers:
    """A sequential appender per story, and raw publishes of the same messages."""

    def __init__(self, store: EventStore, js: JetStreamContext, topology: Topology) -> None:
        self.store, self.js, self.topology = store, js, topology

    async def story(self) -> tuple[str, list[int]]:
        spec = StorySpec(title="bench", character_prompt="a fox", background_prompt="a forest")
        story_id = new_id()
        outcome = await self.store.execute(
            c.CreateStory(story_id=story_id, owner_id="bench", spec=spec), _meta()
        )
        return story_id, [outcome.version]

    def raw(self, story_id: str) -> Callable[[int], Awaitable[object]]:
        prepared = self.store.appender.prepare(story_id, _cost(story_id), 0, _meta())

        async def publish(index: int) -> object:
            headers = {**prepared.headers, "Nats-Msg-Id": new_id()}
            return await self.js.publish(prepared.subject, prepared.payload, headers=headers)

        return publish

    def checked(self, story_id: str, version: list[int]) -> Callable[[int], Awaitable[object]]:
        event = _cost(story_id)

        async def append(index: int) -> object:
            recorded = await self.store.append(
                story_id, [event], expected_version=version[0], meta=_meta()
            )
            version[0] = recorded[-1].sequence
            return recorded

        return append


async def _concurrent(make: Callable[[], Awaitable[Callable[[int], Awaitable[object]]]]) -> float:
    works = [await make() for _ in range(WRITERS)]
    started = time.perf_counter()
    await asyncio.gather(*(_rate(work, PER_ROUND // 4) for work in works))
    return WRITERS * (PER_ROUND // 4) / (time.perf_counter() - started)


async def _measure(url: str) -> list[Row]:
    topology = default_topology(root="bench", prefix="BENCH_")
    client = await connect(RuntimeSettings(nats_url=url), name="bench")
    js = client.jetstream()
    await declare(js, topology)
    store = EventStore(client, topology, source="/bench")
    writers = _Writers(store, js, topology)

    raw_rates, checked_rates, raw_parallel, checked_parallel = [], [], [], []
    for round_number in range(ROUNDS):
        story_id, version = await writers.story()
        sides = [
            (raw_rates, writers.raw(new_id())),
            (checked_rates, writers.checked(story_id, version)),
        ]
        for rates, work in sides if round_number % 2 else reversed(sides):
            rates.append(await _rate(work, PER_ROUND))

        async def make_raw() -> Callable[[int], Awaitable[object]]:
            return writers.raw(new_id())

        async def make_checked() -> Callable[[int], Awaitable[object]]:
            return writers.checked(*(await writers.story()))

        parallel = [(raw_parallel, make_raw), (checked_parallel, make_checked)]
        for rates, make in parallel if round_number % 2 else reversed(parallel):
            rates.append(await _concurrent(make))

    load_rows = await _loads(client, topology, store)
    await client.close()

    raw, checked = statistics.median(raw_rates), statistics.median(checked_rates)
    raw_p, checked_p = statistics.median(raw_parallel), statistics.median(checked_parallel)
    return [
        ("raw js.publish of the same message, sequential", f"{raw:,.0f}/s", ""),
        ("append with concurrency check, sequential", f"{checked:,.0f}/s", ""),
        ("  ratio", f"{checked / raw:.0%}", _goal(checked / raw >= 0.8, ">= 80% of raw")),
        (f"raw js.publish, {WRITERS} concurrent writers", f"{raw_p:,.0f}/s", ""),
        (f"append with check, {WRITERS} concurrent stories", f"{checked_p:,.0f}/s", ""),
        ("  ratio", f"{checked_p / raw_p:.0%}", _goal(checked_p / raw_p >= 0.8, ">= 80% of raw")),
        *load_rows,
    ]


async def _loads(client: object, topology: Topology, store: EventStore) -> list[Row]:
    from nats.aio.client import Client

    assert isinstance(client, Client)
    story_id, version = await _Writers(store, client.jetstream(), topology).story()
    facts = [_cost(story_id) for _ in range(LOAD_EVENTS - 1)]
    await store.append(story_id, facts, expected_version=version[0], meta=_meta())

    replay = []
    for _ in range(LOAD_RUNS):
        cold = EventStore(client, topology, source="/bench")
        started = time.perf_counter()
        view = fold(await cold.load(story_id))
        replay.append((time.perf_counter() - started) * 1000)
        assert view.event_count == LOAD_EVENTS

    snapshots = SnapshotStore(client.jetstream(), topology.snapshot_bucket)
    writer = EventStore(client, topology, source="/bench", snapshots=snapshots)
    await writer.view(story_id)  # passes 1,000 facts: stores a snapshot
    await writer.flush_snapshots()
    # 50 more facts after the snapshot, so a reader folds a tail too
    for _ in range(50):
        await writer.execute(c.RecordFact(story_id=story_id, event=_cost(story_id)), _meta())
    snapshot_runs = []
    for _ in range(LOAD_RUNS):
        reader = EventStore(client, topology, source="/bench", snapshots=snapshots)
        started = time.perf_counter()
        view = await reader.view(story_id)
        snapshot_runs.append((time.perf_counter() - started) * 1000)
        assert view.event_count == LOAD_EVENTS + 50

    started = time.perf_counter()
    await writer.view(story_id)
    warm = (time.perf_counter() - started) * 1000

    full = statistics.median(replay)
    snap = statistics.median(snapshot_runs)
    return [
        (
            f"load + fold {LOAD_EVENTS} facts, full replay (median)",
            f"{full:.1f} ms",
            _goal(full < 20, "< 20 ms"),
        ),
        (
            f"load + fold {LOAD_EVENTS} facts, full replay (p95)",
            f"{sorted(replay)[int(LOAD_RUNS * 0.95)]:.1f} ms",
            "",
        ),
        (
            f"load {LOAD_EVENTS + 50} facts from snapshot + 50-fact tail (median)",
            f"{snap:.1f} ms",
            _goal(snap < 20, "< 20 ms"),
        ),
        ("view of a story cached in the process (nothing new)", f"{warm:.2f} ms", ""),
    ]


def _goal(met: bool, goal: str) -> str:
    return f"{goal}  {'met' if met else 'MISSED'}"
