"""Real video: the four stages on real NATS with real ffmpeg and the built-in providers;
outputs checked with ffprobe."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from nats.aio.client import Client
from nats.aio.msg import Msg
from PIL import Image
from vp_contracts.events import jobs as j
from vp_contracts.events import story as e
from vp_contracts.events.base import Event
from vp_contracts.ids import new_id
from vp_contracts.story import commands as c
from vp_contracts.story.view import StoryView
from vp_contracts.values import JobKind
from vp_runtime.eventstore import EventStore
from vp_runtime.media import hls, loudness, probe, run_ffmpeg
from vp_runtime.messaging.topology import Topology
from vp_runtime.settings import RuntimeSettings
from vp_runtime.storage import LocalStorage, UrlSigner, asset_key

from tests.support.assets import sound
from tests.support.facts import Driver, spec
from tests.support.pipeline import stages
from tests.support.subtitles import frame, srt_as_vtt, vtt_cues
from tests.support.watch import count, has, wait_for

pytestmark = pytest.mark.integration
STORY = (
    "A small fox finds an old lantern. It glows in the misty forest. The owls come to see it. "
    "Together they walk to the river. The water shines like stars. The fox smiles and goes home."
)


async def story_with(store: EventStore, **fields: object) -> tuple[Driver, str]:
    driver = Driver(store)
    story_id = new_id()
    await driver.run(c.CreateStory(story_id=story_id, owner_id="owner", spec=spec(**fields)))
    await driver.run(c.RequestPlanning(story_id=story_id, attempt_id=new_id()))
    return driver, story_id


def local(storage: Path) -> LocalStorage:
    return LocalStorage(storage, "http://x/media", UrlSigner("s"))


async def test_a_six_scene_story_renders_from_draft_to_final(
    nats_client: Client, topology: Topology, settings: RuntimeSettings, tmp_path: Path
) -> None:
    store = EventStore(nats_client, topology, source="/tests")
    driver, story_id = await story_with(
        store,
        duration_seconds=42,
        resolution="720p",
        fps=30,
        description=STORY,
        background_prompt="a misty pine forest at dusk",
        character_prompt="a small red fox with a blue scarf",
    )
    storage = local(tmp_path)
    playable: list[dict[str, Any]] = []
    at_first: dict[str, Any] = {}

    async def on_tick(message: Msg) -> None:
        tick = json.loads(message.data)
        if "playable" not in tick:
            return
        playable.append(tick["playable"])
        if len(playable) == 1:  # what a player finds when it is told the preview plays
            key = tick["playable"]["playlist_key"]
            folder = storage.path(key).parent
            at_first["playlist"] = storage.path(key).read_text()
            at_first["segments"] = sorted(path.name for path in folder.glob("*.m4s"))
            at_first["first"] = (folder / "init.mp4").read_bytes() + (folder / "0.m4s").read_bytes()

    ticks = await nats_client.subscribe(topology.subjects.progress(story_id), cb=on_tick)
    async with stages(settings, tmp_path):
        await wait_for(nats_client, topology, story_id, has(e.StoryPlanned))
        await driver.run(c.RequestPreview(story_id=story_id, attempt_id=new_id()))
        await wait_for(nats_client, topology, story_id, has(e.PreviewComposed), timeout=120)
        await driver.run(c.RequestRender(story_id=story_id, attempt_id=new_id()))
        facts = await wait_for(nats_client, topology, story_id, has(e.RenderCompleted), timeout=240)
    await ticks.unsubscribe()

    view = await store.view(story_id)
    # The preview played while it rendered: its first segment was whole and announced while
    # most of the others did not exist yet; then every one, ending as long as the preview.
    assert view.preview is not None and view.preview.hls_key == playable[0]["playlist_key"]
    assert not hls.ended(at_first["playlist"]) and at_first["segments"][0] == "0.m4s"
    print(f"the preview played with {len(at_first['segments'])} of its 21 segments stored")
    assert len(at_first["segments"]) < 21 // 2  # 21 segments of 2 s in all
    first = tmp_path / "first.mp4"
    first.write_bytes(at_first["first"])
    assert (await probe(first)).frames == 2 * 24  # plays on its own: 2 s at 24 fps
    seconds = [tick["seconds"] for tick in playable]
    assert seconds == sorted(seconds) and playable[-1]["ended"] and playable[-1]["seconds"] == 42
    stored = storage.path(view.preview.hls_key).read_text()
    assert hls.ended(stored) and len(hls.segments(stored)) == 21
    assert (await probe(storage.path(view.preview.hls_key))).duration == pytest.approx(42, abs=0.05)
    assert view.status is not None and view.status.value == "completed"
    assert view.preview is not None and view.final is not None and view.master is not None
    preview = await probe(storage.path(view.preview.video_key))
    final = await probe(storage.path(view.final.video_key))
    for facts_of, (width, height, fps) in ((preview, (854, 480, 24)), (final, (1280, 720, 30))):
        assert "mp4" in facts_of.format_name and facts_of.video_codec == "h264"
        assert facts_of.pixel_format == "yuv420p"
        assert (facts_of.width, facts_of.height, facts_of.fps) == (width, height, fps)
        assert abs(facts_of.duration - 42) <= 1 / fps + 0.03  # container rounding
        assert facts_of.frames == 42 * fps
        assert facts_of.audio_codec == "aac"
    completed = next(f.event for f in facts if isinstance(f.event, e.RenderCompleted))
    assert not completed.upscaled and view.final.video_key == view.master.video_key  # encoded once
    cover = Image.open(storage.path(view.final.thumbnail_key))
    assert cover.format == "JPEG" and cover.size == (1280, 720)
    vtt = storage.path(view.final.subtitles_key or "").read_text()
    cues = re.findall(r"(\d\d):(\d\d):(\d\d)\.(\d{3}) --> (\d\d):(\d\d):(\d\d)\.(\d{3})\n(.+)", vtt)
    assert [cue[8] for cue in cues] == [s.spec.narration for s in view.scenes]
    for cue, scene in zip(cues, view.scenes, strict=True):
        start = int(cue[1]) * 60 + int(cue[2]) + int(cue[3]) / 1000
        end = int(cue[5]) * 60 + int(cue[6]) + int(cue[7]) / 1000
        assert scene.spec.position * 7 <= start < end <= (scene.spec.position + 1) * 7


def _lower_band_white(path: Path, at: float) -> int:
    pixels = frame(path, at).mean(axis=2)
    band = pixels[int(pixels.shape[0] * 0.75) :]
    return int((band > 235).sum())


async def test_subtitles_are_burned_in_when_the_story_asks(
    nats_client: Client, topology: Topology, settings: RuntimeSettings, tmp_path: Path
) -> None:
    store = EventStore(nats_client, topology, source="/tests")
    plain_driver, plain = await story_with(
        store,
        duration_seconds=7,
        description="The night is quiet and dark.",
        background_prompt="a dark forest at night",
    )
    burned_driver, burned = await story_with(
        store,
        duration_seconds=7,
        description="The night is quiet and dark.",
        background_prompt="a dark forest at night",
        burn_subtitles=True,
    )
    async with stages(settings, tmp_path):
        for driver, story_id in ((plain_driver, plain), (burned_driver, burned)):
            await wait_for(nats_client, topology, story_id, has(e.StoryPlanned))
            await driver.run(c.RequestPreview(story_id=story_id, attempt_id=new_id()))
        for story_id in (plain, burned):
            await wait_for(nats_client, topology, story_id, has(e.PreviewComposed), timeout=60)
    storage = local(tmp_path)
    plain_view, burned_view = await store.view(plain), await store.view(burned)
    assert plain_view.preview and burned_view.preview
    plain_white = _lower_band_white(storage.path(plain_view.preview.video_key), 1.5)
    burned_white = _lower_band_white(storage.path(burned_view.preview.video_key), 1.5)
    assert burned_white > plain_white + 300
    preview = burned_view.preview
    assert preview.subtitles_key and preview.srt_key  # both sidecars, the same cues
    vtt = storage.path(preview.subtitles_key).read_text(encoding="utf-8")
    subrip = storage.path(preview.srt_key).read_text(encoding="utf-8")
    assert vtt_cues(vtt) == vtt_cues(srt_as_vtt(subrip)) and vtt_cues(vtt)


@pytest.mark.parametrize(
    ("aspect_ratio", "crossfade", "size"), [("9:16", 0, (480, 854)), ("1:1", 1.0, (480, 480))]
)
async def test_portrait_and_square_stories_keep_their_frame_and_length(
    nats_client: Client,
    topology: Topology,
    settings: RuntimeSettings,
    tmp_path: Path,
    aspect_ratio: str,
    crossfade: float,
    size: tuple[int, int],
) -> None:
    store = EventStore(nats_client, topology, source="/tests")
    driver, story_id = await story_with(
        store,
        duration_seconds=14,
        aspect_ratio=aspect_ratio,
        description="The fox wakes up. The fox runs to the river.",
        generation_params={"crossfade_seconds": crossfade},
    )
    async with stages(settings, tmp_path):
        await wait_for(nats_client, topology, story_id, has(e.StoryPlanned))
        await driver.run(c.RequestPreview(story_id=story_id, attempt_id=new_id()))
        await wait_for(nats_client, topology, story_id, has(e.PreviewComposed), timeout=60)
    view = await store.view(story_id)
    assert view.preview is not None and len(view.scenes) == 2
    preview = await probe(local(tmp_path).path(view.preview.video_key))
    assert (preview.width, preview.height) == size
    assert preview.frames == 14 * preview.fps  # cuts or crossfades, the plan's length
    cover = Image.open(local(tmp_path).path(view.preview.thumbnail_key))
    assert cover.size == size


async def test_a_master_below_target_is_scaled_and_interpolated(
    nats_client: Client, topology: Topology, settings: RuntimeSettings, tmp_path: Path
) -> None:
    store = EventStore(nats_client, topology, source="/tests")
    driver, story_id = await story_with(
        store, duration_seconds=8, resolution="480p", fps=60, narration=False
    )
    async with stages(settings, tmp_path, master_max_height=240, master_max_fps=30):
        await wait_for(nats_client, topology, story_id, has(e.StoryPlanned))
        await driver.run(c.RequestPreview(story_id=story_id, attempt_id=new_id()))
        await wait_for(nats_client, topology, story_id, has(e.PreviewComposed), timeout=60)
        await driver.run(c.RequestRender(story_id=story_id, attempt_id=new_id()))
        facts = await wait_for(nats_client, topology, story_id, has(e.RenderCompleted), timeout=120)
    view = await store.view(story_id)
    assert view.master is not None and view.final is not None
    assert (view.master.width, view.master.height, view.master.fps) == (428, 240, 30)
    final = await probe(local(tmp_path).path(view.final.video_key))
    assert (final.width, final.height, final.fps, final.frames) == (854, 480, 60, 480)
    assert final.audio_codec is None  # no narration, no audio track
    assert next(f.event for f in facts if isinstance(f.event, e.RenderCompleted)).upscaled


async def test_a_missing_asset_fails_the_attempt_with_a_clear_reason(
    nats_client: Client, topology: Topology, settings: RuntimeSettings, tmp_path: Path
) -> None:
    from vp_compositor.bootstrap import running as compositor
    from vp_compositor.settings import CompositorSettings
    from vp_generator.bootstrap import running as generator
    from vp_generator.settings import GeneratorSettings
    from vp_planner.bootstrap import running as planner
    from vp_planner.settings import PlannerSettings

    store = EventStore(nats_client, topology, source="/tests")
    driver, story_id = await story_with(store, duration_seconds=14)
    common = {**settings.model_dump(), "storage_dir": str(tmp_path)}
    async with planner(PlannerSettings(**common)), generator(GeneratorSettings(**common)):
        await wait_for(nats_client, topology, story_id, has(e.StoryPlanned))
        await driver.run(c.RequestPreview(story_id=story_id, attempt_id=new_id()))
        await wait_for(nats_client, topology, story_id, has(e.SceneGenerated, 2))
    view = await store.view(story_id)
    first = view.attempt_scenes()[0].assets
    assert first is not None
    local(tmp_path).path(first.background_key).unlink()
    async with compositor(CompositorSettings(**common)):
        facts = await wait_for(nats_client, topology, story_id, has(e.StoryFailed), timeout=60)
    failed = next(f.event for f in facts if isinstance(f.event, e.StoryFailed))
    assert failed.code == "asset_broken"
    assert (
        failed.reason == "scene 1's background is missing from storage: generate the preview again"
    )


async def test_two_compositors_compose_an_attempt_once(
    nats_client: Client, topology: Topology, settings: RuntimeSettings, tmp_path: Path
) -> None:
    store = EventStore(nats_client, topology, source="/tests")
    driver, story_id = await story_with(store, duration_seconds=14, narration=False)
    async with stages(settings, tmp_path, compositors=2):
        await wait_for(nats_client, topology, story_id, has(e.StoryPlanned))
        await driver.run(c.RequestPreview(story_id=story_id, attempt_id=new_id()))
        await wait_for(nats_client, topology, story_id, has(e.PreviewComposed), timeout=60)
    facts = await store.load(story_id)
    composes = [
        f for f in facts if isinstance(f.event, j.JobStarted) and f.event.kind == JobKind.COMPOSE
    ]
    assert len(composes) == 1 and count(facts, e.PreviewComposed) == 1


async def test_a_story_with_music_has_it_under_every_second_of_its_video(
    nats_client: Client, topology: Topology, settings: RuntimeSettings, tmp_path: Path
) -> None:
    """Narrated in Korean over the built-in upbeat track: the music fills the gaps between
    the lines (no second is silent), and the narration is still heard above it."""
    store = EventStore(nats_client, topology, source="/tests")
    driver, story_id = await story_with(
        store,
        duration_seconds=8,
        language="ko",
        description="작은 여우가 숲에서 등불을 찾았어요. 등불이 밝게 빛나요.",
        music={"track": "upbeat", "volume_db": -16},
    )
    async with stages(settings, tmp_path):
        await wait_for(nats_client, topology, story_id, has(e.StoryPlanned))
        await driver.run(c.RequestPreview(story_id=story_id, attempt_id=new_id()))
        await wait_for(nats_client, topology, story_id, has(e.PreviewComposed), timeout=60)
    view = await store.view(story_id)
    assert view.preview is not None
    video = local(tmp_path).path(view.preview.video_key)
    seconds = [await loudness(video, start, 1.0) for start in range(0, 8)]
    assert all(level.mean_db > -45 for level in seconds), seconds  # never a silent second
    whole = await loudness(video)
    assert whole.max_db > -12  # the voice on top (music alone peaks lower at -16 dB)


async def _previewed_with(
    driver: Driver,
    story_id: str,
    uploads: dict[str, object],
    nats_client: Client,
    topology: Topology,
    settings: RuntimeSettings,
    folder: Path,
    until: type[Event] = e.PreviewComposed,
) -> StoryView:
    """Plan the one-scene story, give its scene ``uploads``, preview it: the story after
    ``until`` (the preview composed, by default)."""
    async with stages(settings, folder):
        await wait_for(nats_client, topology, story_id, has(e.StoryPlanned))
        (scene,) = (await driver.store.view(story_id)).scenes
        await driver.run(
            c.UpdateScene(story_id=story_id, scene_id=scene.spec.scene_id, changes=uploads)
        )
        await driver.run(c.RequestPreview(story_id=story_id, attempt_id=new_id()))
        await wait_for(nats_client, topology, story_id, has(until), timeout=60)
    return await driver.store.view(story_id)


async def test_a_story_plays_the_creator_s_own_music_and_moves_with_their_clip(
    nats_client: Client, topology: Topology, settings: RuntimeSettings, tmp_path: Path
) -> None:
    """Uploads through the services: the creator's WAV under the whole video (a 440 Hz tone
    here, heard in every second), and their clip as a scene's moving background."""
    storage = local(tmp_path)
    music_id, clip_id = new_id(), new_id()
    await storage.put_bytes(asset_key("owner", music_id), sound(3.0, 44_100, 440), "audio/wav")
    testsrc = ("-f", "lavfi", "-i", "testsrc=size=320x180:rate=24:d=2", "-pix_fmt", "yuv420p")
    await run_ffmpeg([*testsrc, "clip.mp4"], cwd=tmp_path)
    await storage.put_file(asset_key("owner", clip_id), tmp_path / "clip.mp4", "video/mp4")
    store = EventStore(nats_client, topology, source="/tests")
    driver, story_id = await story_with(
        store, duration_seconds=7, narration=False, music={"asset_id": music_id, "volume_db": -6}
    )
    view = await _previewed_with(
        driver,
        story_id,
        {"background_asset_id": clip_id},
        nats_client,
        topology,
        settings,
        tmp_path,
    )
    assert view.preview is not None and view.scenes[0].assets is not None
    assert view.scenes[0].assets.clip_key == asset_key("owner", clip_id)
    video = storage.path(view.preview.video_key)
    for start in range(0, 7):  # the 3 s upload looped to 7 s
        assert (await loudness(video, start, 1.0)).mean_db > -35, start
    early, later = frame(video, 0.2), frame(video, 0.9)
    assert np.abs(early - later).mean() > 3  # testsrc moves: the clip plays, not a still


async def test_a_scene_in_the_creator_s_own_voice_lasts_as_long_as_the_recording(
    nats_client: Client, topology: Topology, settings: RuntimeSettings, tmp_path: Path
) -> None:
    """A 9 s recording (an M4A, as phones make them) on a scene planned for 7 s: the scene
    stretches to hold it, the voice is the recording (no synthesised speech), and the cues sit
    over its spoken part."""
    storage = local(tmp_path)
    voice_id = new_id()
    (tmp_path / "voice.wav").write_bytes(sound(9.0, 44_100, 220))
    await run_ffmpeg(["-i", "voice.wav", "-c:a", "aac", "voice.m4a"], cwd=tmp_path)
    await storage.put_file(asset_key("owner", voice_id), tmp_path / "voice.m4a", "audio/mp4")
    store = EventStore(nats_client, topology, source="/tests")
    driver, story_id = await story_with(
        store,
        duration_seconds=7,
        language="ko",
        description="제 목소리로 읽어요. 끝까지 들어 주세요.",
    )
    view = await _previewed_with(
        driver,
        story_id,
        {"narration_asset_id": voice_id},
        nats_client,
        topology,
        settings,
        tmp_path,
    )
    assets = view.scenes[0].assets
    assert view.preview is not None and assets is not None
    assert assets.narration_seconds == pytest.approx(9.0, abs=0.1)
    video = await probe(storage.path(view.preview.video_key))
    assert video.duration == pytest.approx(9.3, abs=0.1)  # the recording and a short hold
    assert [cue.text for cue in assets.cues] == ["제 목소리로 읽어요.", "끝까지 들어 주세요."]
    assert assets.cues[0].start_seconds < 0.1 and assets.cues[-1].end_seconds > 8.9
    tone = await loudness(storage.path(view.preview.video_key), 4.0, 1.0)
    assert tone.mean_db > -20  # the recording's steady tone, not espeak


@pytest.mark.parametrize(
    ("hertz", "reason"),
    [(0.0, "your recording of it has no speech in it"), (220.0, "came out silent")],
)
async def test_music_never_hides_a_voice_that_cannot_be_heard(
    nats_client: Client,
    topology: Topology,
    settings: RuntimeSettings,
    tmp_path: Path,
    hertz: float,
    reason: str,
) -> None:
    """A Korean scene in the creator's own voice under loud music: a silent recording, and one
    at -44 dB (speech to the cue finder, inaudible to a viewer), fail the preview saying so."""
    storage = local(tmp_path)
    voice_id = new_id()
    quiet = sound(3.0, 16_000, hertz)
    if hertz:  # from -10 dB to -44 dB peak
        samples = np.frombuffer(quiet[44:], "<i2") * 10 ** (-34 / 20)
        quiet = quiet[:44] + samples.astype("<i2").tobytes()
    await storage.put_bytes(asset_key("owner", voice_id), quiet, "audio/wav")
    store = EventStore(nats_client, topology, source="/tests")
    driver, story_id = await story_with(
        store,
        duration_seconds=5,
        language="ko",
        description="작은 목소리로 읽었어요.",
        music={"track": "upbeat", "volume_db": 0},
    )
    view = await _previewed_with(
        driver,
        story_id,
        {"narration_asset_id": voice_id},
        nats_client,
        topology,
        settings,
        tmp_path,
        until=e.StoryFailed,
    )
    assert view.failure is not None
    assert view.failure.code == "silent_narration" and reason in view.failure.reason
