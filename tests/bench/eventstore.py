"""Event store: appends with the concurrency check vs raw JetStream publishes; load + fold."""

from __future__ import annotations

import statistics
import tempfile
import time
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from vp_contracts.events import story as e
from vp_contracts.ids import new_id
from vp_contracts.story import commands as c
from vp_contracts.story.view import fold
from vp_contracts.values import StorySpec
from vp_runtime import devnats
from vp_runtime.connection import connect
from vp_runtime.declare import declare
from vp_runtime.eventstore import EventMeta, EventStore
from vp_runtime.settings import RuntimeSettings
from vp_runtime.topology import default_topology

APPENDS = 3000
LOAD_EVENTS = 1000
LOAD_RUNS = 50

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


async def _measure(url: str) -> list[Row]:
    topology = default_topology(root="bench", prefix="BENCH_")
    client = await connect(RuntimeSettings(nats_url=url), name="bench")
    js = client.jetstream()
    await declare(js, topology)
    store = EventStore(client, topology, source="/bench")
    spec = StorySpec(title="bench", character_prompt="a fox", background_prompt="a forest")

    # Raw nats-py JetStream publishes: no envelope, no check.
    raw_subject = topology.subjects.story_event(new_id(), "cost_recorded")
    payload = _cost("x").model_dump_json().encode()
    started = time.perf_counter()
    for _ in range(APPENDS):
        await js.publish(raw_subject, payload)
    raw_rate = APPENDS / (time.perf_counter() - started)

    # Our append: envelope, Nats-Msg-Id, expected-sequence check over the story.
    story_id = new_id()
    outcome = await store.execute(
        c.CreateStory(story_id=story_id, owner_id="bench", spec=spec), _meta()
    )
    version = outcome.version
    event = _cost(story_id)
    started = time.perf_counter()
    for _ in range(APPENDS):
        recorded = await store.append(story_id, [event], expected_version=version, meta=_meta())
        version = recorded[-1].sequence
    checked_rate = APPENDS / (time.perf_counter() - started)

    # Load and fold a 1,000-fact story with a cold cache.
    long_story = new_id()
    outcome = await store.execute(
        c.CreateStory(story_id=long_story, owner_id="bench", spec=spec), _meta()
    )
    facts = [_cost(long_story) for _ in range(LOAD_EVENTS - 1)]
    await store.append(long_story, facts, expected_version=outcome.version, meta=_meta())
    timings = []
    for _ in range(LOAD_RUNS):
        cold = EventStore(client, topology, source="/bench")
        started = time.perf_counter()
        view = fold(await cold.load(long_story))
        timings.append((time.perf_counter() - started) * 1000)
        assert view.event_count == LOAD_EVENTS
    warm_started = time.perf_counter()
    await store.view(long_story)
    warm_ms = (time.perf_counter() - warm_started) * 1000

    await client.close()
    ratio = checked_rate / raw_rate
    return [
        ("raw JetStream publish (sequential)", f"{raw_rate:,.0f}/s", ""),
        ("append with concurrency check", f"{checked_rate:,.0f}/s", ""),
        ("  ratio to raw", f"{ratio:.0%}", ">= 80%" + ("  ok" if ratio >= 0.8 else "  MISSED")),
        (
            f"load + fold {LOAD_EVENTS} facts, cold (median of {LOAD_RUNS})",
            f"{statistics.median(timings):.1f} ms",
            "< 20 ms" + ("  ok" if statistics.median(timings) < 20 else "  MISSED"),
        ),
        (
            f"load + fold {LOAD_EVENTS} facts, cold (p95)",
            f"{sorted(timings)[int(LOAD_RUNS * 0.95)]:.1f} ms",
            "",
        ),
        ("view of a cached story (only newer facts read)", f"{warm_ms:.2f} ms", ""),
    ]
