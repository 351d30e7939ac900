"""A stage that is stopped (SIGTERM in a rolling deploy) hands its work back at once: another
replica takes it over in about a second, not after the ack wait."""

from __future__ import annotations

import asyncio
import contextlib
import time
from pathlib import Path

import pytest
from nats.aio.client import Client
from vp_compositor.bootstrap import running as compositor
from vp_compositor.settings import CompositorSettings
from vp_contracts.events import jobs as j
from vp_contracts.events import story as e
from vp_contracts.ids import new_id
from vp_contracts.story import commands as c
from vp_contracts.values import JobKind
from vp_generator.bootstrap import running as generator
from vp_generator.settings import GeneratorSettings
from vp_planner.bootstrap import running as planner
from vp_planner.settings import PlannerSettings
from vp_runtime.eventstore import EventStore
from vp_runtime.messaging.topology import WORK_ACK_WAIT, Topology
from vp_runtime.settings import RuntimeSettings

from tests.support.facts import Driver, spec
from tests.support.watch import count, has, wait_for

pytestmark = pytest.mark.integration


def composes(times: int) -> object:
    def done(facts: list) -> bool:  # type: ignore[type-arg]
        started = [
            f
            for f in facts
            if isinstance(f.event, j.JobStarted) and f.event.kind == JobKind.COMPOSE
        ]
        return len(started) >= times

    return done


async def test_a_stopped_compositor_hands_its_compose_to_another_at_once(
    nats_client: Client, topology: Topology, settings: RuntimeSettings, tmp_path: Path
) -> None:
    store = EventStore(nats_client, topology, source="/tests")
    driver = Driver(store)
    story_id = new_id()
    story = spec(duration_seconds=14, resolution="1080p", fps=30, narration=False)
    await driver.run(c.CreateStory(story_id=story_id, owner_id="owner", spec=story))
    common = {**settings.model_dump(exclude={"service_name"}), "storage_dir": str(tmp_path)}
    async with contextlib.AsyncExitStack() as stack:
        await stack.enter_async_context(planner(PlannerSettings(**common)))
        await stack.enter_async_context(generator(GeneratorSettings(**common)))
        first = contextlib.AsyncExitStack()
        await first.enter_async_context(compositor(CompositorSettings(**common)))
        await driver.run(c.RequestPlanning(story_id=story_id, attempt_id=new_id()))
        await wait_for(nats_client, topology, story_id, has(e.StoryPlanned))
        await driver.run(c.RequestPreview(story_id=story_id, attempt_id=new_id()))
        await wait_for(nats_client, topology, story_id, has(e.PreviewComposed), timeout=60)

        await driver.run(c.RequestRender(story_id=story_id, attempt_id=new_id()))
        await wait_for(nats_client, topology, story_id, composes(2), timeout=60)  # preview + final
        await stack.enter_async_context(compositor(CompositorSettings(**common)))  # a replica
        await asyncio.sleep(1)  # the first is well into the 1080p encode
        stopped = time.time()
        await first.aclose()  # what SIGTERM does
        facts = await wait_for(nats_client, topology, story_id, has(e.FinalComposed), timeout=120)

    takeover = [
        f for f in facts if isinstance(f.event, j.JobStarted) and f.event.kind == JobKind.COMPOSE
    ][-1]
    assert isinstance(takeover.event, j.JobStarted) and takeover.event.attempt == 2
    taken_over = takeover.envelope.time.timestamp() - stopped
    assert taken_over < WORK_ACK_WAIT.total_seconds() / 2, taken_over
    assert count(facts, e.FinalComposed) == 1
    print(f"compose taken over {taken_over:.2f}s after the stop")
