"""Scale-out: what replicas add and what the lanes protect, through the stage services.

- Stories per minute with 1 and 2 processes per stage (generator and compositor; each process
  with its default workers) on a slow paid image provider (a local server answering as
  Stability does, after 2 s), so the figure measures the platform's concurrency rather than
  this machine's two cores: previews of 8 three-scene stories, requested at once.
- Time to a preview (six scenes, 42 s, 480p) on an idle pipeline and while two 1080p final
  masters compose (one compositor process, one worker per lane, finals at lower CPU priority).
"""

from __future__ import annotations

import json
import os
import tempfile
import time
import uuid
from pathlib import Path

from nats.aio.client import Client
from vp_contracts.events import jobs as j
from vp_contracts.events import story as e
from vp_contracts.ids import new_id
from vp_contracts.story import commands as c
from vp_contracts.values import JobKind, Stage
from vp_devtools import devnats
from vp_runtime.eventstore import EventStore
from vp_runtime.messaging.broker import topology_of
from vp_runtime.messaging.connection import connect
from vp_runtime.messaging.declare import declare
from vp_runtime.messaging.topology import Topology
from vp_runtime.settings import RuntimeSettings

from tests.support.facts import Driver, spec
from tests.support.fake_providers import KEY, fake_providers
from tests.support.pipeline import stages
from tests.support.watch import final_composing, has, wait_for

Row = tuple[str, str, str]
STORIES = 8
LONG_SECONDS = 600
SEGMENT_SECONDS = 60
STORY = (
    "A small fox finds an old lantern. It glows in the misty forest. The owls come to see it. "
    "Together they walk to the river. The water shines like stars. The fox smiles and goes home."
)


async def run() -> list[Row]:
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        server = devnats.start(folder / "nats")
        try:
            client = await connect(RuntimeSettings(nats_url=server.url), name="bench")
            one = await _stories_per_minute(client, server.url, folder, processes=1)
            two = await _stories_per_minute(client, server.url, folder, processes=2)
            idle, busy = await _preview_under_finals(client, server.url, folder)
            alone = await _long_final(client, server.url, folder, processes=1)
            shared = await _long_final(client, server.url, folder, processes=2)
            await client.close()
        finally:
            server.stop()
    return [
        (
            f"stories per minute, 1 process per stage ({STORIES} previews, 2 s paid images)",
            f"{one:.1f}",
            "-",
        ),
        ("stories per minute, 2 processes per stage", f"{two:.1f}", f"{two / one:.2f}x"),
        ("preview requested -> composed, idle (6 scenes, 42 s)", f"{idle:.1f} s", "-"),
        (
            "the same preview while two 1080p finals compose",
            f"{busy:.1f} s",
            f"{'met' if busy <= 3 * idle else 'MISSED'}: <= 3x idle ({busy / idle:.1f}x)",
        ),
        (
            f"final of a {LONG_SECONDS // 60}-minute story, compose to master, 1 compositor"
            f" ({LONG_SECONDS // SEGMENT_SECONDS} segments, 480p)",
            f"{alone:.1f} s",
            "-",
        ),
        (
            "the same with 2 compositor processes (one machine: they share its 2 cores)",
            f"{shared:.1f} s",
            f"{alone / shared:.2f}x faster",
        ),
    ]


def _settings(url: str, **capacity: int) -> RuntimeSettings:
    tag = uuid.uuid4().hex[:8]
    return RuntimeSettings.model_validate(
        {"nats_url": url, "subject_root": f"bs{tag}", "stream_prefix": f"BS{tag}_", **capacity}
    )


async def _stories_per_minute(client: Client, url: str, folder: Path, processes: int) -> float:
    settings = _settings(url, generator_replicas=processes, compositor_replicas=processes)
    topology = topology_of(settings)
    await declare(client.jetstream(), topology)
    driver = Driver(EventStore(client, topology, source="/bench"))
    story_ids = [new_id() for _ in range(STORIES)]
    for number, story_id in enumerate(story_ids):
        story = spec(
            duration_seconds=21,
            narration=False,
            character_prompt=f"a fox number {number}",
            background_prompt=f"forest number {number}",
        )
        await driver.run(c.CreateStory(story_id=story_id, owner_id="bench", spec=story))
    async with fake_providers(image_delay=2.0) as fakes:
        os.environ["VP_PROVIDERS"], os.environ["FAKE_PROVIDER_KEY"] = (
            json.dumps([fakes.stability_provider()]),
            KEY,
        )
        try:
            async with stages(
                settings,
                folder / f"storage-{processes}",
                generators=processes,
                compositors=processes,
            ):
                for story_id in story_ids:
                    await driver.run(c.RequestPlanning(story_id=story_id, attempt_id=new_id()))
                for story_id in story_ids:
                    await wait_for(client, topology, story_id, has(e.StoryPlanned))
                started = time.perf_counter()
                for story_id in story_ids:
                    await driver.run(c.RequestPreview(story_id=story_id, attempt_id=new_id()))
                for story_id in story_ids:
                    await wait_for(client, topology, story_id, has(e.PreviewComposed), timeout=600)
                elapsed = time.perf_counter() - started
        finally:
            del os.environ["VP_PROVIDERS"]
    return STORIES / elapsed * 60


async def _preview_under_finals(client: Client, url: str, folder: Path) -> tuple[float, float]:
    settings = _settings(url)
    topology = topology_of(settings)
    await declare(client.jetstream(), topology)
    driver = Driver(EventStore(client, topology, source="/bench"))
    finals = [new_id(), new_id()]
    previews = [new_id(), new_id()]
    final = spec(duration_seconds=42, resolution="1080p", fps=30, narration=False)
    preview = spec(duration_seconds=42, description=STORY, narration=False)
    for story_id in finals:
        await driver.run(c.CreateStory(story_id=story_id, owner_id="other", spec=final))
    for story_id in previews:
        await driver.run(c.CreateStory(story_id=story_id, owner_id="bench", spec=preview))
    async with stages(settings, folder / "storage-lanes"):
        for story_id in [*finals, *previews]:
            await driver.run(c.RequestPlanning(story_id=story_id, attempt_id=new_id()))
            await wait_for(client, topology, story_id, has(e.StoryPlanned))
        for story_id in finals:
            await driver.run(c.RequestPreview(story_id=story_id, attempt_id=new_id()))
            await wait_for(client, topology, story_id, has(e.PreviewComposed), timeout=300)
        idle = await _timed_preview(client, driver, topology, previews[0])
        for story_id in finals:
            await driver.run(c.RequestRender(story_id=story_id, attempt_id=new_id()))
        await wait_for(client, topology, finals[0], final_composing, timeout=300)
        busy = await _timed_preview(client, driver, topology, previews[1])
        for story_id in finals:
            await wait_for(client, topology, story_id, has(e.RenderCompleted), timeout=600)
    return idle, busy


async def _timed_preview(
    client: Client, driver: Driver, topology: Topology, story_id: str
) -> float:
    started = time.perf_counter()
    await driver.run(c.RequestPreview(story_id=story_id, attempt_id=new_id()))
    await wait_for(client, topology, story_id, has(e.PreviewComposed), timeout=300)
    return time.perf_counter() - started


async def _long_final(client: Client, url: str, folder: Path, processes: int) -> float:
    """Seconds from the master's compose starting to the master composed, for a story of
    LONG_SECONDS rendered in segments by ``processes`` compositors."""
    settings = _settings(url, compositor_replicas=processes)
    topology = topology_of(settings)
    await declare(client.jetstream(), topology)
    driver = Driver(EventStore(client, topology, source="/bench"))
    story_id = await driver.created(
        "bench", duration_seconds=LONG_SECONDS, resolution="480p", fps=24, narration=False
    )
    await driver.planned(story_id, scenes=LONG_SECONDS // 7)  # seven-second scenes
    await driver.generated(story_id, Stage.PREVIEW)  # the render needs a preview ready
    async with stages(
        settings,
        folder / f"storage-long-{processes}",
        compositors=processes,
        segment_seconds=SEGMENT_SECONDS,
    ):
        await driver.run(c.RequestRender(story_id=story_id, attempt_id=new_id()))
        facts = await wait_for(client, topology, story_id, has(e.FinalComposed), timeout=1800)
    renders = {f.event.attempt_id for f in facts if isinstance(f.event, e.RenderRequested)}
    started = next(
        f.time
        for f in facts
        if isinstance(f.event, j.JobStarted)
        and f.event.kind == JobKind.COMPOSE
        and f.event.attempt_id in renders
    )
    composed = next(f.time for f in facts if isinstance(f.event, e.FinalComposed))
    return (composed - started).total_seconds()
