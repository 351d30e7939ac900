"""Capacity that grows with replicas, and previews that never wait behind finals.

Three generator processes (three runtimes, each its own NATS connection and workers) with two
workers each run six scene jobs of a slow paid provider at once; a preview requested while
final masters compose is composed on the interactive lane before they finish; within a lane,
users with unequal batches take turns."""

from __future__ import annotations

import asyncio
import contextlib
import json
from pathlib import Path

import pytest
from nats.aio.client import Client
from pydantic import BaseModel
from vp_contracts.envelope import RecordedEvent
from vp_contracts.events import jobs as j
from vp_contracts.events import story as e
from vp_contracts.events.base import Event
from vp_contracts.ids import new_id
from vp_contracts.story import commands as c
from vp_contracts.values import JobKind
from vp_generator.bootstrap import running as generator
from vp_generator.settings import GeneratorSettings
from vp_runtime.capacity import Capacity
from vp_runtime.eventstore import EventStore
from vp_runtime.messaging.broker import topology_of
from vp_runtime.messaging.declare import declare
from vp_runtime.messaging.subscriptions import consumer
from vp_runtime.messaging.topology import Topology
from vp_runtime.messaging.workqueue import WorkQueue, owner_key
from vp_runtime.settings import RuntimeSettings

from tests.support.facts import Driver, spec
from tests.support.fake_providers import KEY, fake_providers
from tests.support.pipeline import stages
from tests.support.watch import final_composing, has, wait_for

pytestmark = pytest.mark.integration


class Numbered(BaseModel):
    n: int


def _peak(facts: list[RecordedEvent[Event]]) -> int:
    """Most scene jobs at work at the same moment, from their started and generated facts."""
    edges: list[tuple[float, int]] = []
    for fact in facts:
        if isinstance(fact.event, j.JobStarted) and fact.event.kind == JobKind.SCENE:
            edges.append((fact.time.timestamp(), 1))
        elif isinstance(fact.event, e.SceneGenerated):
            edges.append((fact.time.timestamp(), -1))
    at_work = peak = 0
    for _, step in sorted(edges, key=lambda edge: (edge[0], edge[1])):
        at_work += step
        peak = max(peak, at_work)
    return peak


async def test_three_generators_with_two_workers_each_run_six_scene_jobs_at_once(
    nats_client: Client,
    topology: Topology,
    settings: RuntimeSettings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("FAKE_PROVIDER_KEY", KEY)
    scaled = GeneratorSettings(
        **{
            **settings.model_dump(),
            "storage_dir": str(tmp_path),
            "generator_replicas": 3,
            "generator_interactive_workers": 2,
        }
    )
    declared = topology_of(scaled)
    await declare(nats_client.jetstream(), declared)  # what the declare Job does on a deploy
    lane = consumer(declared, "generator-scenes-interactive")
    assert lane.max_ack_pending == 6  # 3 replicas x 2 workers (was a constant 4)

    store = EventStore(nats_client, topology, source="/tests")
    driver = Driver(store)
    story_id = await driver.created(narration=False)  # the paid images are the work here
    await driver.planned(story_id, scenes=6)
    async with fake_providers(image_delay=2.0) as fakes:
        monkeypatch.setenv("VP_PROVIDERS", json.dumps([fakes.stability_provider()]))
        async with contextlib.AsyncExitStack() as replicas:
            for _ in range(3):
                await replicas.enter_async_context(generator(scaled))
            await driver.run(c.RequestPreview(story_id=story_id, attempt_id=new_id()))
            facts = await wait_for(nats_client, topology, story_id, has(e.SceneGenerated, 6))

    assert _peak(facts) == 6, "every scene job of the six ran at the same time"
    assert fakes.images_peak >= 6


def _composed(facts: list[RecordedEvent[Event]], kind: type[Event]) -> float:
    return next(f.time.timestamp() for f in facts if isinstance(f.event, kind))


async def test_a_preview_is_composed_while_final_masters_wait_and_compose(
    nats_client: Client, topology: Topology, settings: RuntimeSettings, tmp_path: Path
) -> None:
    """One compositor process, one worker per lane: two finals fill the batch lane (one
    composing, one waiting), and a preview requested then is composed before either ends."""
    store = EventStore(nats_client, topology, source="/tests")
    driver = Driver(store)
    story = spec(duration_seconds=14, resolution="720p", fps=30, narration=False)
    finals, preview = [new_id(), new_id()], new_id()
    for story_id in [*finals, preview]:
        await driver.run(c.CreateStory(story_id=story_id, owner_id="owner", spec=story))
    async with stages(settings, tmp_path):
        for story_id in [*finals, preview]:
            await driver.run(c.RequestPlanning(story_id=story_id, attempt_id=new_id()))
            await wait_for(nats_client, topology, story_id, has(e.StoryPlanned))
        for story_id in finals:
            await driver.run(c.RequestPreview(story_id=story_id, attempt_id=new_id()))
            await wait_for(nats_client, topology, story_id, has(e.PreviewComposed), timeout=60)
        for story_id in finals:
            await driver.run(c.RequestRender(story_id=story_id, attempt_id=new_id()))
        await wait_for(nats_client, topology, finals[0], final_composing, timeout=60)
        await driver.run(c.RequestPreview(story_id=preview, attempt_id=new_id()))
        previewed = await wait_for(
            nats_client, topology, preview, has(e.PreviewComposed), timeout=120
        )
        first, second = [
            await wait_for(nats_client, topology, story_id, has(e.FinalComposed), timeout=240)
            for story_id in finals
        ]
    ready = _composed(previewed, e.PreviewComposed)
    assert ready < _composed(first, e.FinalComposed), "the preview waited for a final"
    assert ready < _composed(second, e.FinalComposed)


async def test_a_lane_alternates_between_users_whatever_their_batches(
    nats_client: Client, topology: Topology
) -> None:
    """User a queues 12 scene jobs, then user b 3: b's jobs are taken after a's first share
    (two rounds of the lane's capacity), not after all 12; every job is taken once, each
    user's in the order queued."""
    js = nats_client.jetstream()
    queue = WorkQueue(js, topology, "scene", Capacity())
    share = queue.share("interactive")
    assert share == 4  # 2 x (1 replica x 2 workers)
    for owner, jobs in (("a", 12), ("b", 3)):
        for n in range(jobs):
            await queue.put(Numbered(n=n), "interactive", f"{owner}-{n}", owner)
    pull = await js.pull_subscribe_bind(
        topology.consumer_name("generator-scenes-interactive"), stream=topology.jobs_stream
    )
    taken: list[tuple[str, int]] = []
    while len(taken) < 15:
        (message,) = await pull.fetch(1, timeout=5)
        owner = "a" if message.subject.endswith(owner_key("a")) else "b"
        taken.append((owner, Numbered.model_validate_json(message.data).n))
        await message.ack_sync()
        await queue.finished(message.subject)  # what a worker does when a job leaves
    order = [owner for owner, _ in taken]
    assert order[:7] == ["a"] * 4 + ["b"] * 3, order  # first come, first served: b at 13-15
    assert [n for owner, n in taken if owner == "a"] == list(range(12))
    assert await queue.sweep() == 0


async def test_two_users_share_the_generators_whatever_their_batches(
    nats_client: Client,
    topology: Topology,
    settings: RuntimeSettings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """One generator process with two workers per lane and a slow paid provider (1 s a
    scene): user a previews three stories at once (18 scene jobs), then user b one story (6).
    In order of arrival b's last scene would wait for all 18 of a's; shared fairly, it is
    ready while a still has more than a third of hers to go."""
    monkeypatch.setenv("FAKE_PROVIDER_KEY", KEY)
    store = EventStore(nats_client, topology, source="/tests")
    driver = Driver(store)
    batch = [await driver.created("user-a", narration=False) for _ in range(3)]
    single = await driver.created("user-b", narration=False)
    for story_id in [*batch, single]:
        await driver.planned(story_id, scenes=6)
    scaled = GeneratorSettings(**{**settings.model_dump(), "storage_dir": str(tmp_path)})
    async with fake_providers(image_delay=1.0) as fakes:
        monkeypatch.setenv("VP_PROVIDERS", json.dumps([fakes.stability_provider()]))
        async with generator(scaled):
            for story_id in [*batch, single]:
                await driver.run(c.RequestPreview(story_id=story_id, attempt_id=new_id()))
            done = {
                story_id: await wait_for(
                    nats_client, topology, story_id, has(e.SceneGenerated, 6), timeout=90
                )
                for story_id in [*batch, single]
            }
    a_scenes = sorted(
        fact.time.timestamp()
        for story_id in batch
        for fact in done[story_id]
        if isinstance(fact.event, e.SceneGenerated)
    )
    b_ready = max(
        fact.time.timestamp() for fact in done[single] if isinstance(fact.event, e.SceneGenerated)
    )
    a_before_b = sum(1 for moment in a_scenes if moment < b_ready)
    assert a_before_b <= 12, f"user b waited for {a_before_b} of user a's 18 scenes"


async def test_replicas_releasing_the_same_held_jobs_queue_each_once(
    nats_client: Client, topology: Topology
) -> None:
    js = nats_client.jetstream()
    replicas = [WorkQueue(js, topology, "scene", Capacity()) for _ in range(3)]
    share = replicas[0].share("batch")
    for n in range(share + 3):
        await replicas[0].put(Numbered(n=n), "batch", f"c-{n}", "c")
    pull = await js.pull_subscribe_bind(
        topology.consumer_name("generator-scenes-batch"), stream=topology.jobs_stream
    )
    for _ in range(share):
        (message,) = await pull.fetch(1, timeout=5)
        await message.ack_sync()  # finished, but no replica was told: the sweeps find out
    moved = await asyncio.gather(*(replica.sweep() for replica in replicas))
    assert sum(moved) == 3, moved  # a job two replicas moved at once is counted by one
    info = await js.stream_info(topology.jobs_stream)
    assert info.state.messages == 3  # nothing left held, nothing queued twice
    queued = []
    for _ in range(3):
        (message,) = await pull.fetch(1, timeout=5)
        queued.append(Numbered.model_validate_json(message.data).n)
        await message.ack_sync()
    assert queued == [share, share + 1, share + 2]
