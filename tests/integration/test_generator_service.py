"""The generator on real NATS with the built-in providers and real storage: fan-out, scene
jobs, assets, narration, costs; cancellation; and a worker killed in the middle of a job."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import wave
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from nats.aio.client import Client
from PIL import Image, ImageDraw
from vp_contracts.events import jobs as j
from vp_contracts.events import story as e
from vp_contracts.ids import new_id
from vp_contracts.story import commands as c
from vp_contracts.values import JobKind
from vp_generator.bootstrap import running
from vp_generator.settings import GeneratorSettings
from vp_runtime.eventstore import EventStore
from vp_runtime.media import run_ffmpeg
from vp_runtime.messaging.declare import declare
from vp_runtime.messaging.topology import Topology, default_topology
from vp_runtime.settings import RuntimeSettings
from vp_runtime.storage import LocalStorage, UrlSigner, asset_key

from tests.support.assets import picture
from tests.support.facts import Driver, spec
from tests.support.fake_providers import KEY, fake_providers
from tests.support.watch import count, drained, has, wait_for

pytestmark = pytest.mark.integration


def generator_settings(settings: RuntimeSettings, storage: Path, **extra: Any) -> GeneratorSettings:
    return GeneratorSettings(**{**settings.model_dump(), "storage_dir": str(storage), **extra})


async def planned_story(store: EventStore, scenes: int = 3) -> tuple[Driver, str]:
    driver = Driver(store)
    story_id = await driver.created()
    await driver.planned(story_id, scenes=scenes)
    return driver, story_id


async def test_a_preview_request_becomes_every_scenes_layers_and_narration(
    nats_client: Client, topology: Topology, settings: RuntimeSettings, tmp_path: Path
) -> None:
    store = EventStore(nats_client, topology, source="/tests")
    driver, story_id = await planned_story(store)
    attempt = new_id()
    ticks: list[dict[str, Any]] = []

    async def on_tick(message: Any) -> None:
        ticks.append(json.loads(message.data))

    progress = await nats_client.subscribe(topology.subjects.progress(story_id), cb=on_tick)
    async with running(generator_settings(settings, tmp_path)):
        await driver.run(c.RequestPreview(story_id=story_id, attempt_id=attempt))
        facts = await wait_for(nats_client, topology, story_id, has(e.SceneGenerated, 3))
    await nats_client.flush()
    await progress.unsubscribe()
    finished = [t for t in ticks if t["percent"] == 100]
    assert len(finished) == 3 and {t["attempt_id"] for t in ticks} == {attempt}
    assert any("painting the background" in t["message"] for t in ticks)

    storage = LocalStorage(tmp_path, "http://x", UrlSigner("s"))
    view = await store.view(story_id)
    assert view.scenes_ready()
    for scene in view.scenes:
        assets = scene.assets
        assert assets is not None and (assets.width, assets.height) == (854, 480)
        background = Image.open(io.BytesIO(await storage.get_bytes(assets.background_key)))
        character = Image.open(io.BytesIO(await storage.get_bytes(assets.character_key or "")))
        assert background.size == (854, 480) and background.mode == "RGB"
        assert character.mode == "RGBA" and character.getextrema()[3] == (0, 255)  # cut out
        with wave.open(io.BytesIO(await storage.get_bytes(assets.narration_key or ""))) as audio:
            seconds = audio.getnframes() / audio.getframerate()
        assert assets.narration_seconds == pytest.approx(seconds, abs=0.01)
        assert assets.cues and assets.cues[0].text == scene.spec.narration
        assert assets.cues[-1].end_seconds <= seconds <= scene.spec.duration_seconds
    started = [
        f.event
        for f in facts
        if isinstance(f.event, j.JobStarted) and f.event.kind == JobKind.SCENE
    ]
    assert len(started) == 3 and {s.attempt for s in started} == {1}
    costs = [f.event for f in facts if isinstance(f.event, e.CostRecorded)]
    assert {(cost.provider.split(":")[0], cost.operation) for cost in costs} == {
        ("offline", "image"),
        ("offline", "narration"),
    }
    assert view.actual_cost == 0


async def test_a_second_preview_of_the_same_plan_is_served_from_the_cache(
    nats_client: Client, topology: Topology, settings: RuntimeSettings, tmp_path: Path
) -> None:
    store = EventStore(nats_client, topology, source="/tests")
    driver, story_id = await planned_story(store, scenes=2)
    async with running(generator_settings(settings, tmp_path)):
        await driver.run(c.RequestPreview(story_id=story_id, attempt_id=new_id()))
        await wait_for(nats_client, topology, story_id, has(e.SceneGenerated, 2))
        await driver.run(c.Cancel(story_id=story_id))  # back to planned, then preview again
        await driver.run(c.RequestPreview(story_id=story_id, attempt_id=new_id()))
        facts = await wait_for(nats_client, topology, story_id, has(e.SceneGenerated, 4))
    second = [f.event for f in facts if isinstance(f.event, e.SceneGenerated)][2:]
    assert all(event.cache_hit for event in second)


async def test_cancelling_stops_the_jobs_of_the_attempt(
    nats_client: Client, topology: Topology, settings: RuntimeSettings, tmp_path: Path
) -> None:
    store = EventStore(nats_client, topology, source="/tests")
    driver, story_id = await planned_story(store, scenes=6)
    async with running(generator_settings(settings, tmp_path, generator_interactive_workers=1)):
        await driver.run(c.RequestPreview(story_id=story_id, attempt_id=new_id()))
        await wait_for(nats_client, topology, story_id, has(j.JobStarted, 2))
        await driver.run(c.Cancel(story_id=story_id))
        # Every job of the cancelled attempt is taken off the queue and dropped.
        await drained(
            nats_client,
            topology.jobs_stream,
            topology.consumer_name("generator-scenes-interactive"),
        )
    after = await store.load(story_id)
    cancelled_at = next(i for i, f in enumerate(after) if isinstance(f.event, e.StoryCancelled))
    assert count(after[cancelled_at:], e.SceneGenerated) == 0
    assert count(after, e.SceneGenerated) < 6
    assert (await store.view(story_id)).status.value == "planned"  # type: ignore[union-attr]


def _generator(settings: RuntimeSettings, storage: Path, providers: str) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "VP_NATS_URL": settings.nats_url,
        "VP_SUBJECT_ROOT": settings.subject_root,
        "VP_STREAM_PREFIX": settings.stream_prefix,
        "VP_STORAGE_DIR": str(storage),
        "VP_JOB_ACK_WAIT_SECONDS": "4",
        "VP_PROVIDERS": providers,
        "FAKE_PROVIDER_KEY": KEY,
    }
    binary = Path(sys.executable).parent / "vp-generator"
    return subprocess.Popen(
        [str(binary)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )


async def test_a_worker_killed_mid_job_is_replaced_and_each_scene_completes_once(
    nats_client: Client, topology: Topology, settings: RuntimeSettings, tmp_path: Path
) -> None:
    store = EventStore(nats_client, topology, source="/tests")
    quick = default_topology(topology.root, topology.prefix, job_ack_wait=timedelta(seconds=4))
    await declare(nats_client.jetstream(), quick)  # a dead worker's job comes back after 4 s
    driver, story_id = await planned_story(store, scenes=6)
    async with fake_providers() as fakes:
        providers = json.dumps(
            [
                {
                    "name": "stability",
                    "kind": "stability",
                    "api_key_env": "FAKE_PROVIDER_KEY",
                    "cost_per_image": "0.02",
                    "settings": {"base_url": fakes.url},
                },
                {"name": "offline", "kind": "offline"},
            ]
        )
        first = _generator(settings, tmp_path, providers)
        try:
            await driver.run(c.RequestPreview(story_id=story_id, attempt_id=new_id()))
            await wait_for(nats_client, topology, story_id, has(j.JobStarted, 3))
        finally:
            first.send_signal(signal.SIGKILL)
            first.wait()
        done_before = count(await store.load(story_id), e.SceneGenerated)
        assert done_before < 6, "the worker finished before it could be killed"

        second = _generator(settings, tmp_path, providers)
        try:
            facts = await wait_for(
                nats_client, topology, story_id, has(e.SceneGenerated, 6), timeout=90
            )
        finally:
            second.terminate()
            second.wait()

    generated = [f.event for f in facts if isinstance(f.event, e.SceneGenerated)]
    assert sorted(g.scene_id for g in generated) == sorted(
        s.scene_id for s in (await store.view(story_id)).scenes
    )
    redelivered = [
        f.event for f in facts if isinstance(f.event, j.JobStarted) and f.event.attempt == 2
    ]
    assert redelivered, "a job of the killed worker was delivered again"
    paid = [f.event for f in facts if isinstance(f.event, e.CostRecorded) and f.event.amount > 0]
    calls = fakes.seen("POST", "/v1/generation")
    view = await store.view(story_id)
    assert view.actual_cost == Decimal("0.02") * len(paid)  # every paid call is in the ledger once
    assert (
        len(paid) <= 12 + 1 and calls <= 12 + 2
    )  # at most the call in flight at the kill is repeated
    assert len({g.assets.background_key for g in generated}) == 6
    # The killed worker may have died mid-write: that leaves a hidden partial file, never an
    # object, and the sweep every service runs at start-up deletes it once it is stale.
    storage = LocalStorage(tmp_path, "http://x/media", UrlSigner("s"))
    partial = [p for p in tmp_path.rglob("*") if p.name.endswith(".part")]
    assert all(p.name.startswith(".") for p in partial)
    assert storage.sweep_partial(older_than=0) == len(partial)
    assert not [p for p in tmp_path.rglob("*") if p.name.endswith(".part")]


async def _dead_letters(client: Client, topology: Topology) -> list[dict[str, str]]:
    js = client.jetstream()
    info = await js.stream_info(topology.dead_letter_stream)
    letters = []
    for sequence in range(info.state.first_seq, info.state.last_seq + 1):
        message = await js.get_msg(topology.dead_letter_stream, sequence)
        letters.append(dict(message.headers or {}))
    return letters


async def test_a_poison_job_goes_straight_to_the_dead_letters(
    nats_client: Client, topology: Topology, settings: RuntimeSettings, tmp_path: Path
) -> None:
    js = nats_client.jetstream()
    async with running(generator_settings(settings, tmp_path)):
        await js.publish(
            topology.subjects.jobs("scene", "interactive", "someone"),
            b'{"story_id": 42',
            stream=topology.jobs_stream,
        )
        await drained(
            nats_client,
            topology.jobs_stream,
            topology.consumer_name("generator-scenes-interactive"),
        )
    letters = await _dead_letters(nats_client, topology)
    assert [(letter["vp-dead-kind"], letter["vp-dead-attempts"]) for letter in letters] == [
        ("poison", "1")
    ]
    assert "not a SceneJob" in letters[0]["vp-dead-reason"]


async def test_a_job_that_keeps_failing_is_retried_three_times_then_fails_the_story(
    nats_client: Client,
    topology: Topology,
    settings: RuntimeSettings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    store = EventStore(nats_client, topology, source="/tests")
    driver, story_id = await planned_story(store, scenes=1)
    monkeypatch.setenv("FAKE_PROVIDER_KEY", KEY)
    async with fake_providers() as fakes:
        fakes.then("stability", *[("status", 503)] * 20)
        monkeypatch.setenv(
            "VP_PROVIDERS",
            json.dumps([fakes.stability_provider()]),
        )
        async with running(generator_settings(settings, tmp_path)):
            await driver.run(c.RequestPreview(story_id=story_id, attempt_id=new_id()))
            facts = await wait_for(nats_client, topology, story_id, has(e.SceneFailed), timeout=60)
            await drained(
                nats_client,
                topology.jobs_stream,
                topology.consumer_name("generator-scenes-interactive"),
            )

    retried = [f.event for f in facts if isinstance(f.event, j.JobRetried)]
    assert [(r.attempt, r.retry_in_seconds) for r in retried] == [(1, 2.0), (2, 4.0)]
    failed = next(f.event for f in facts if isinstance(f.event, e.SceneFailed))
    assert failed.attempts == 3 and failed.code == "provider_unavailable"
    assert "stability: circuit open" in failed.reason  # five 503s in a row opened the breaker
    view = await store.view(story_id)
    assert view.status is not None and view.status.value == "failed"
    assert view.failure is not None and view.failure.scene_id == failed.scene_id
    letters = await _dead_letters(nats_client, topology)
    assert [(letter["vp-dead-kind"], letter["vp-dead-attempts"]) for letter in letters] == [
        ("exhausted", "3")
    ]
    calls = [f.event for f in facts if isinstance(f.event, e.CostRecorded)]
    # 3 tries in the first attempt, 2 in the second (the breaker opens), none in the third
    assert len(calls) == 5 and all("503" in call.outcome for call in calls)


async def _narrated(
    store: EventStore,
    settings: RuntimeSettings,
    storage: Path,
    client: Client,
    topology: Topology,
    **spec_fields: Any,
) -> list[Any]:
    driver = Driver(store)
    story_id = new_id()
    await driver.run(c.CreateStory(story_id=story_id, owner_id="o", spec=spec(**spec_fields)))
    await driver.planned(story_id, scenes=1)
    async with running(generator_settings(settings, storage)):
        await driver.run(c.RequestPreview(story_id=story_id, attempt_id=new_id()))
        facts = await wait_for(
            client,
            topology,
            story_id,
            lambda facts: any(isinstance(f.event, e.SceneGenerated | e.SceneFailed) for f in facts),
        )
    return [f.event for f in facts]


async def test_the_voice_a_story_chooses_is_the_one_that_speaks(
    nats_client: Client, topology: Topology, settings: RuntimeSettings, tmp_path: Path
) -> None:
    store = EventStore(nats_client, topology, source="/tests")
    storage = LocalStorage(tmp_path, "http://x/media", UrlSigner("s"))
    seconds = {}
    for voice in (None, "offline:espeak-en-us"):
        params = {"voice": voice} if voice else {}
        facts = await _narrated(
            store, settings, tmp_path, nats_client, topology, generation_params=params
        )
        generated = next(f for f in facts if isinstance(f, e.SceneGenerated))
        with wave.open(
            io.BytesIO(await storage.get_bytes(generated.assets.narration_key or ""))
        ) as audio:
            seconds[voice] = audio.getnframes() / audio.getframerate()
    # The neural voice and espeak-ng say "Line 0." at clearly different lengths.
    assert abs(seconds[None] - seconds["offline:espeak-en-us"]) > 0.05, seconds


async def test_a_language_no_voice_speaks_fails_the_scene_saying_what_to_do(
    nats_client: Client, topology: Topology, settings: RuntimeSettings, tmp_path: Path
) -> None:
    store = EventStore(nats_client, topology, source="/tests")
    facts = await _narrated(store, settings, tmp_path, nats_client, topology, language="xx")
    failed = next(f for f in facts if isinstance(f, e.SceneFailed))
    assert failed.code == "no_voice"
    assert "language 'xx'" in failed.reason and "/voices/?language=xx" in failed.reason
    assert failed.attempts == 1  # not retried: another try would not find a voice either


async def _with_backgrounds(
    driver: Driver, story_id: str, store: EventStore, ids: list[str]
) -> None:
    view = await store.view(story_id)
    for scene, asset_id in zip(view.scenes, ids, strict=True):
        await driver.run(
            c.UpdateScene(
                story_id=story_id,
                scene_id=scene.spec.scene_id,
                changes={"background_asset_id": asset_id},
            )
        )


async def test_a_scene_takes_the_creator_s_own_background_picture_or_clip(
    nats_client: Client, topology: Topology, settings: RuntimeSettings, tmp_path: Path
) -> None:
    """Uploaded backgrounds instead of generated ones (no image call for them): a picture as
    it is; a clip as the scene's motion with its first frame as the still; and in another
    story a file that is neither fails its scene, saying so."""
    store = EventStore(nats_client, topology, source="/tests")
    driver, story_id = await planned_story(store, scenes=2)
    _, broken_id = await planned_story(store, scenes=1)
    storage = LocalStorage(tmp_path, "http://x", UrlSigner("s"))
    picture_id, clip_id, text_id = new_id(), new_id(), new_id()
    await storage.put_bytes(
        asset_key("owner-1", picture_id), picture("PNG", (640, 360)), "image/png"
    )
    clip = tmp_path / "clip.mp4"
    testsrc = ("-f", "lavfi", "-i", "testsrc=size=320x180:rate=24:d=1", "-pix_fmt", "yuv420p")
    await run_ffmpeg([*testsrc, str(clip)], cwd=tmp_path)
    await storage.put_file(asset_key("owner-1", clip_id), clip, "video/mp4")
    await storage.put_bytes(asset_key("owner-1", text_id), b"not a picture at all", "image/png")
    await _with_backgrounds(driver, story_id, store, [picture_id, clip_id])
    await _with_backgrounds(driver, broken_id, store, [text_id])
    async with running(generator_settings(settings, tmp_path)):
        for target in (story_id, broken_id):
            await driver.run(c.RequestPreview(story_id=target, attempt_id=new_id()))
        facts = await wait_for(nats_client, topology, story_id, has(e.SceneGenerated, 2))
        failures = await wait_for(nats_client, topology, broken_id, has(e.SceneFailed))
    generated = {f.event.scene_id: f.event for f in facts if isinstance(f.event, e.SceneGenerated)}
    first, second = (scene.spec.scene_id for scene in (await store.view(story_id)).scenes)
    assert generated[first].provider == "upload"
    assert generated[first].assets.background_key == asset_key("owner-1", picture_id)
    moving = generated[second].assets
    assert moving.clip_key == asset_key("owner-1", clip_id)
    still = Image.open(io.BytesIO(await storage.get_bytes(moving.background_key)))
    assert still.format == "JPEG" and still.size == (320, 180)
    failed = next(f.event for f in failures if isinstance(f.event, e.SceneFailed))
    assert failed.code == "asset_unusable"
    assert "scene 1's own background cannot be used" in failed.reason


async def test_the_creator_s_character_picture_is_cut_out_for_every_scene(
    nats_client: Client, topology: Topology, settings: RuntimeSettings, tmp_path: Path
) -> None:
    """A photo of the character on a plain background: every scene's character layer is it,
    its background transparent and the subject kept (alpha checked), made once."""
    photo = Image.new("RGB", (400, 500), (236, 238, 240))  # a plain studio backdrop
    ImageDraw.Draw(photo).ellipse([100, 80, 300, 440], fill=(200, 60, 30))  # the subject
    buffer = io.BytesIO()
    photo.save(buffer, "JPEG", quality=92)
    store = EventStore(nats_client, topology, source="/tests")
    driver = Driver(store)
    asset_id = new_id()
    story_id = await driver.created(character_asset_id=asset_id)
    await driver.planned(story_id, scenes=3)
    storage = LocalStorage(tmp_path, "http://x", UrlSigner("s"))
    await storage.put_bytes(asset_key("owner-1", asset_id), buffer.getvalue(), "image/jpeg")
    async with running(generator_settings(settings, tmp_path)):
        await driver.run(c.RequestPreview(story_id=story_id, attempt_id=new_id()))
        facts = await wait_for(nats_client, topology, story_id, has(e.SceneGenerated, 3))
    layers = {f.event.assets.character_key for f in facts if isinstance(f.event, e.SceneGenerated)}
    assert layers == {f"{asset_key('owner-1', asset_id)}.layer.png"}  # one cut-out, every scene
    layer = Image.open(io.BytesIO(await storage.get_bytes(layers.pop()))).convert("RGBA")
    alpha = np.asarray(layer)[..., 3]
    assert alpha.shape == (500, 400)
    assert alpha[:40].max() == 0 and alpha[:, :60].max() == 0  # the backdrop is gone
    assert alpha[200:320, 170:230].min() == 255  # the subject is whole
    rgb = np.asarray(layer)[260, 200, :3]
    assert rgb[0] > 150 and rgb[2] < 80  # and keeps its colour
