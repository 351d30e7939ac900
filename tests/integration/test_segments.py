"""A final rendered as segments (any compositor replica takes one) and joined without encoding
again is the single-pass video frame for frame: the same number of frames, and every frame,
transitions across the segment boundaries included (fades, wipes, cuts), the same picture (SSIM against the single
pass, frame by frame); and through the services, a long final is cut, shared by two
compositors and joined with its one audio track."""

from __future__ import annotations

import asyncio
import re
from dataclasses import replace
from pathlib import Path

import pytest
from nats.aio.client import Client
from PIL import Image, ImageDraw
from vp_compositor.domain.timeline import (
    Layer,
    Output,
    SceneMedia,
    audio_args,
    compose_args,
    join_args,
    plan_segments,
    segment_args,
    total_duration,
)
from vp_compositor.service.segments import segment_key
from vp_contracts.events import story as e
from vp_contracts.ids import new_id
from vp_contracts.story import commands as c
from vp_contracts.values import Motion, Transition
from vp_runtime.eventstore import EventStore
from vp_runtime.media import ffmpeg_binary, loudness, probe, run_ffmpeg
from vp_runtime.messaging.topology import Topology
from vp_runtime.settings import RuntimeSettings
from vp_runtime.storage import LocalStorage, UrlSigner

from tests.support.facts import Driver, spec
from tests.support.pipeline import stages
from tests.support.subtitles import READ_BACK, SPEECH_DB, found, read_frame, vtt_cues
from tests.support.watch import has, wait_for

pytestmark = pytest.mark.integration
COLOURS = [(200, 60, 40), (40, 140, 200), (60, 180, 90), (220, 200, 60), (150, 70, 190)]


def _scenes(folder: Path, durations: list[float]) -> list[SceneMedia]:
    scenes = []
    for index, duration in enumerate(durations):
        picture = Image.new("RGB", (960, 540), COLOURS[index % len(COLOURS)])
        draw = ImageDraw.Draw(picture)
        for step in range(0, 960, 48):  # detail for the motion and the comparison to see
            draw.line([(step, 0), (960 - step, 540)], fill=(255, 255, 255), width=3)
        picture.save(folder / f"bg{index}.png")
        character = Image.new("RGBA", (120, 160), (0, 0, 0, 0))
        ImageDraw.Draw(character).ellipse([10, 10, 110, 150], fill=(250, 250, 250, 255))
        character.save(folder / f"ch{index}.png")
        scenes.append(
            SceneMedia(
                duration=duration,
                background=f"bg{index}.png",
                character=Layer(f"ch{index}.png", 260, 160),
                motion=[Motion.SLOW, Motion.MEDIUM, Motion.FAST][index % 3],
                action="walks" if index % 2 else "",
            )
        )
    return scenes


async def _ssim_per_frame(a: Path, b: Path, folder: Path) -> list[float]:
    stats = folder / "ssim.txt"
    process = await asyncio.create_subprocess_exec(
        ffmpeg_binary(),
        "-hide_banner",
        "-loglevel",
        "error",
        "-i",
        str(a),
        "-i",
        str(b),
        "-lavfi",
        f"ssim=stats_file={stats.name}",
        "-f",
        "null",
        "-",
        cwd=folder,
    )
    assert await process.wait() == 0
    return [
        float(part.split(":")[1])
        for line in stats.read_text().splitlines()
        for part in line.split()
        if part.startswith("All:")
    ]


MIXED = (Transition.WIPE_LEFT, Transition.CUT, Transition.CIRCLE_OPEN, Transition.DISSOLVE)


@pytest.mark.parametrize(
    ("crossfade", "kinds"), [(0.5, (Transition.FADE,)), (0.0, (Transition.FADE,)), (0.5, MIXED)]
)
async def test_segments_joined_are_the_single_pass_frame_for_frame(
    tmp_path: Path, crossfade: float, kinds: tuple[Transition, ...]
) -> None:
    scenes = [
        replace(scene, transition=kinds[index % len(kinds)])
        for index, scene in enumerate(_scenes(tmp_path, [3.0, 2.5, 3.0, 3.5, 2.0]))
    ]
    out = Output(width=640, height=360, fps=24, preset="veryfast", crf=12, crossfade=crossfade)
    await run_ffmpeg(compose_args(scenes, out, "single.mp4"), cwd=tmp_path)

    segments = plan_segments(scenes, crossfade, seconds=4)
    assert len(segments) >= 3  # two boundaries at least
    for segment in segments:
        await run_ffmpeg(
            segment_args(scenes, out, segment, f"segment-{segment.index}.mp4"), cwd=tmp_path
        )
    (tmp_path / "segments.txt").write_text(
        "".join(f"file 'segment-{segment.index}.mp4'\n" for segment in segments)
    )
    duration = total_duration(scenes)
    await run_ffmpeg(join_args("segments.txt", None, duration, "joined.mp4"), cwd=tmp_path)

    single, joined = await probe(tmp_path / "single.mp4"), await probe(tmp_path / "joined.mp4")
    assert joined.frames == single.frames == round(duration * out.fps)
    assert abs(joined.duration - single.duration) < 1 / out.fps
    ssim = await _ssim_per_frame(tmp_path / "single.mp4", tmp_path / "joined.mp4", tmp_path)
    assert len(ssim) == single.frames
    worst = min(range(len(ssim)), key=ssim.__getitem__)
    assert ssim[worst] > 0.97, f"frame {worst} differs (SSIM {ssim[worst]:.4f})"
    for segment in segments[1:]:  # the frames either side of each boundary
        boundary = round(segment.start * out.fps)
        around = ssim[boundary - 2 : boundary + 2]
        assert min(around) > 0.97, (segment, around)


async def test_the_joined_video_has_the_one_audio_track(tmp_path: Path) -> None:
    scenes = _scenes(tmp_path, [2.0, 2.0, 2.0])
    await run_ffmpeg(
        ["-f", "lavfi", "-i", "sine=frequency=440:duration=1.5", "-ar", "24000", "voice.wav"],
        cwd=tmp_path,
    )
    scenes = [SceneMedia(**{**vars(scene), "narration": "voice.wav"}) for scene in scenes]
    out = Output(width=320, height=180, fps=24, preset="veryfast", crf=23, crossfade=0.5)
    segments = plan_segments(scenes, 0.5, seconds=2)
    for segment in segments:
        await run_ffmpeg(segment_args(scenes, out, segment, f"s{segment.index}.mp4"), cwd=tmp_path)
    (tmp_path / "list.txt").write_text("".join(f"file 's{s.index}.mp4'\n" for s in segments))
    await run_ffmpeg(audio_args(scenes, "audio.m4a"), cwd=tmp_path)
    await run_ffmpeg(join_args("list.txt", "audio.m4a", 6.0, "joined.mp4"), cwd=tmp_path)
    joined = await probe(tmp_path / "joined.mp4")
    assert joined.audio_codec == "aac" and joined.video_codec == "h264"
    assert abs(joined.duration - 6.0) < 0.1


async def test_a_long_korean_final_is_rendered_in_segments_by_the_replicas_and_joined(
    nats_client: Client, topology: Topology, settings: RuntimeSettings, tmp_path: Path
) -> None:
    """Korean first: every line is heard where its cue is, and read back (tesseract) from the
    subtitles each segment burned in, on both sides of the boundaries."""
    store = EventStore(nats_client, topology, source="/tests")
    driver = Driver(store)
    story_id = new_id()
    story = spec(
        title="여우와 등불",
        duration_seconds=28,
        resolution="480p",
        fps=24,
        description="작은 여우가 숲을 걷습니다. 여우가 등불을 찾습니다. 등불이 밝게 빛납니다."
        " 여우가 웃으며 집으로 갑니다.",
        character_prompt="빨간 목도리를 한 작은 여우",
        background_prompt="밤의 안개 낀 소나무 숲",
        burn_subtitles=True,
    )
    await driver.run(c.CreateStory(story_id=story_id, owner_id="owner", spec=story))
    async with stages(settings, tmp_path / "storage", compositors=2, segment_seconds=7):
        await driver.run(c.RequestPlanning(story_id=story_id, attempt_id=new_id()))
        await wait_for(nats_client, topology, story_id, has(e.StoryPlanned))
        await driver.run(c.RequestPreview(story_id=story_id, attempt_id=new_id()))
        await wait_for(nats_client, topology, story_id, has(e.PreviewComposed), timeout=120)
        await driver.run(c.RequestRender(story_id=story_id, attempt_id=new_id()))
        facts = await wait_for(nats_client, topology, story_id, has(e.FinalComposed), timeout=240)

    composed = next(f.event for f in facts if isinstance(f.event, e.FinalComposed))
    storage = LocalStorage(tmp_path / "storage", "http://x", UrlSigner("s"))
    segments = [
        key
        for index in range(10)
        if await storage.exists(key := segment_key(story_id, composed.attempt_id, index))
    ]
    assert len(segments) >= 3
    master = tmp_path / "master.mp4"
    await storage.download(composed.media.video_key, master)
    facts_of = await probe(master)
    assert abs(facts_of.duration - 28) < 0.1 and facts_of.frames == 28 * 24
    assert facts_of.audio_codec == "aac"  # the narration, mixed once
    assert (facts_of.width, facts_of.height) == (854, 480)
    assert composed.media.subtitles_key is not None
    cues = vtt_cues((await storage.get_bytes(composed.media.subtitles_key)).decode())
    assert len(cues) >= 4 and all(re.search("[가-힣]", text) for *_, text in cues)
    boundaries = [7.5, 14.5, 21.5]  # seven-second scenes, a half-second crossfade
    segments_with_cues = {sum(start >= b for b in boundaries) for start, _, _ in cues}
    assert len(segments_with_cues) >= 3  # the lines are burned by several segment workers
    for start, end, text in cues:
        level = await loudness(master, start, end - start)
        assert level.mean_db > SPEECH_DB, (text, level)
        read = await asyncio.to_thread(read_frame, master, (start + end) / 2, "kor", tmp_path)
        assert found(text, read) >= READ_BACK, (text, read)
