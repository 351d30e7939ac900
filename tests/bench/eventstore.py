"""Event store: appends with the concurrency check vs raw JetStream publishes; load + fold.

"Raw" publishes the very message an append stores (same CloudEvents headers, same body, a
fresh Nats-Msg-Id) with nats-py's ``js.publish`` and no check, so the ratio is the cost of
the concurrency check and of the store itself. Rounds alternate so that both sides see the
same machine load; medians are reported.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from nats.aio.client import Client
from nats.js.client import JetStreamContext
from vp_contracts.events import story as e
from vp_contracts.ids import new_id
from vp_contracts.story import commands as c
from vp_contracts.story.view import fold
from vp_contracts.values import StorySpec
from vp_devtools import devnats
from vp_runtime.eventstore import EventMeta, EventStore, SnapshotStore
from vp_runtime.eventstore.reader import recorded_from
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

    def guarded(self, story_id: str, version: list[int]) -> Callable[[int], Awaitable[object]]:
        """Raw publishes carrying the concurrency check's headers: the server's share of it."""
        prepared = self.store.appender.prepare(story_id, _cost(story_id), 0, _meta())
        subject = self.topology.subjects.story(story_id)

        async def publish(index: int) -> object:
            headers = {
                **prepared.headers,
                "Nats-Msg-Id": new_id(),
                "Nats-Expected-Last-Subject-Sequence": str(version[0]),
                "Nats-Expected-Last-Subject-Sequence-Subject": subject,
            }
            ack = await self.js.publish(prepared.subject, prepared.payload, headers=headers)
            version[0] = ack.seq
            return ack

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

    raw_rates: list[float] = []
    checked_rates: list[float] = []
    guarded_rates: list[float] = []
    raw_parallel: list[float] = []
    checked_parallel: list[float] = []
    for round_number in range(ROUNDS):
        story_id, version = await writers.story()
        other, other_version = await writers.story()
        sides = [
            (raw_rates, writers.raw(new_id())),
            (checked_rates, writers.checked(story_id, version)),
            (guarded_rates, writers.guarded(other, other_version)),
        ]
        turn = round_number % len(sides)
        for rates, work in sides[turn:] + sides[:turn]:
            rates.append(await _rate(work, PER_ROUND))

        async def make_raw() -> Callable[[int], Awaitable[object]]:
            return writers.raw(new_id())

        async def make_checked() -> Callable[[int], Awaitable[object]]:
            return writers.checked(*(await writers.story()))

        parallel = [(raw_parallel, make_raw), (checked_parallel, make_checked)]
        for rates, make in parallel if round_number % 2 else reversed(parallel):
            rates.append(await _concurrent(make))

    load_rows = await _loads(client, topology, store, url)
    await client.close()

    raw, checked = statistics.median(raw_rates), statistics.median(checked_rates)
    guarded = statistics.median(guarded_rates) / raw
    raw_p, checked_p = statistics.median(raw_parallel), statistics.median(checked_parallel)
    return [
        ("raw js.publish of the same message, sequential", f"{raw:,.0f}/s", ""),
        ("append with concurrency check, sequential", f"{checked:,.0f}/s", ""),
        ("  ratio", f"{checked / raw:.0%}", _goal(checked / raw >= 0.9, ">= 90% of raw")),
        (f"raw js.publish, {WRITERS} concurrent writers", f"{raw_p:,.0f}/s", ""),
        (f"append with check, {WRITERS} concurrent stories", f"{checked_p:,.0f}/s", ""),
        (
            "  ratio",
            f"{checked_p / raw_p:.0%}",
            _goal(checked_p / raw_p >= 0.9, ">= 90% of raw"),
        ),
        (
            "  the server's check alone (raw publish with its headers), sequential",
            f"{guarded:.0%}",
            "",
        ),
        *load_rows,
    ]


async def _loads(client: object, topology: Topology, store: EventStore, url: str) -> list[Row]:
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

    shares = await _shares(client, topology, story_id, url)

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
            _goal(full <= 10, "<= 10 ms"),
        ),
        (
            f"load + fold {LOAD_EVENTS} facts, full replay (p95)",
            f"{sorted(replay)[int(LOAD_RUNS * 0.95)]:.1f} ms",
            "",
        ),
        *shares,
        (
            f"load {LOAD_EVENTS + 50} facts from snapshot + 50-fact tail (median)",
            f"{snap:.1f} ms",
            _goal(snap < 20, "< 20 ms"),
        ),
        ("view of a story cached in the process (nothing new)", f"{warm:.2f} ms", ""),
    ]


def _goal(met: bool, goal: str) -> str:
    return f"{goal}  {'met' if met else 'MISSED'}"


async def _shares(client: Client, topology: Topology, story_id: str, url: str) -> list[Row]:
    """Where a full replay's time goes: the server answering the batch read (bytes read off a
    plain socket, nothing parsed), nats-py turning them into messages, reading the facts
    (envelope and event) and folding them."""
    subject = topology.subjects.story(story_id)
    request = json.dumps({"seq": 1, "next_by_subj": subject, "batch": LOAD_EVENTS}).encode()
    direct = f"$JS.API.DIRECT.GET.{topology.story_stream}"
    host, port = url.removeprefix("nats://").rsplit(":", 1)
    reader, writer = await asyncio.open_connection(host, int(port))
    await reader.readline()  # INFO
    writer.write(b'CONNECT {"verbose":false,"headers":true}\r\nSUB _INBOX.bench 1\r\nPING\r\n')
    await writer.drain()
    while not (await reader.readline()).startswith(b"PONG"):
        pass
    server, messages, facts, folds = [], [], [], []
    store = EventStore(client, topology, source="/bench")
    for _ in range(LOAD_RUNS):
        started = time.perf_counter()
        writer.write(f"PUB {direct} _INBOX.bench {len(request)}\r\n".encode() + request + b"\r\n")
        await writer.drain()
        received = bytearray()
        while b"NATS/1.0 204" not in received[-512:]:  # the end of the batch
            received += await reader.read(1 << 20)
        server.append((time.perf_counter() - started) * 1000)

        started = time.perf_counter()
        batch, _ = await store._reader._batch(subject, 1)
        messages.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        recorded = [recorded_from(m, int((m.headers or {})["Nats-Sequence"])) for m in batch]
        facts.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        fold(recorded)
        folds.append((time.perf_counter() - started) * 1000)
    writer.close()
    median = statistics.median
    return [
        (
            f"  the server's share ({len(received) // 1000} KB off a plain socket, median)",
            f"{median(server):.1f} ms",
            "",
        ),
        (
            "  the batch as nats-py messages, nothing parsed (median)",
            f"{median(messages):.1f} ms",
            "",
        ),
        (
            f"  reading {LOAD_EVENTS} facts: envelope + event (median)",
            f"{median(facts):.1f} ms",
            "",
        ),
        (f"  folding {LOAD_EVENTS} facts (median)", f"{median(folds):.1f} ms", ""),
    ]
