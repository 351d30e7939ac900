"""The upscaler's service layer on an in-memory log: a master already at the target is the
final video (no second encode), one claim finishes it, stale work is dropped, a failure says
what happened. The encodes themselves run in the integration tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from vp_contracts.events import jobs as j
from vp_contracts.events import story as e
from vp_contracts.events.base import Event
from vp_contracts.story import commands as c
from vp_contracts.values import MediaOutput, RenderProfile, Stage
from vp_runtime.eventstore import InMemoryStoryLog
from vp_runtime.storage import InMemoryStorage
from vp_upscaler.service.finish import Finisher, at_target, filters
from vp_upscaler.settings import UpscalerSettings

from tests.support.facts import Driver
from tests.unit.fakes import RecordingProgress, worker

AT_TARGET = MediaOutput(
    video_key="m.mp4",
    thumbnail_key="m.jpg",
    duration_seconds=21,
    width=1920,
    height=1080,
    fps=30,
    size_bytes=1000,
)


async def _composed(log: InMemoryStoryLog, media: MediaOutput = AT_TARGET) -> Any:
    driver = Driver(log)
    story_id = await driver.created()
    await driver.planned(story_id)
    await driver.generated(story_id, Stage.PREVIEW)
    attempt = await driver.scenes_generated(story_id, Stage.RENDER)
    await driver.composed(story_id, Stage.RENDER, attempt, media, finish=False)
    return next(f for f in reversed(log.facts) if isinstance(f.event, e.FinalComposed))


class FakeLadder:
    """Writes a one-rendition ladder naming the video it was given (no ffmpeg)."""

    def __init__(self) -> None:
        self.sources: list[bytes] = []

    async def __call__(self, source: Path, folder: Path, *args: Any, **options: Any) -> None:
        self.sources.append(source.read_bytes())
        (folder / "480p").mkdir()
        (folder / "480p" / "0.m4s").write_bytes(b"segment")
        (folder / "480p" / "index.m3u8").write_text("#EXTM3U\n#EXTINF:4,\n0.m4s\n")
        (folder / "index.m3u8").write_text("#EXTM3U\n480p/index.m3u8\n")


def _finisher(log: InMemoryStoryLog) -> Finisher:
    storage = InMemoryStorage()
    storage.objects["m.mp4"] = (b"the master", "video/mp4")
    return Finisher(worker("upscaler", log), storage, None, UpscalerSettings(), ladder=FakeLadder())


def _of(log: InMemoryStoryLog, kind: type[Event]) -> list[Any]:
    return [event for event in log.events() if isinstance(event, kind)]


async def test_a_master_at_the_target_is_the_final_video() -> None:
    log = InMemoryStoryLog()
    composed = await _composed(log)
    finisher = _finisher(log)
    await finisher.on_final_composed(composed, 1, composed.sequence)

    (done,) = _of(log, e.RenderCompleted)
    assert done.media == AT_TARGET and done.upscaled is False
    (streamed,) = _of(log, e.FinalStreamed)  # after the final, which never waits for it
    hls = f"stories/{composed.event.story_id}/{composed.event.attempt_id}/hls/index.m3u8"
    assert streamed.hls_key == hls
    view = await log.view(composed.event.story_id)
    assert view.final == AT_TARGET.model_copy(update={"hls_key": hls})
    assert view.status is not None and view.status.value == "completed"
    assert isinstance(finisher.ladder, FakeLadder)
    assert finisher.ladder.sources == [b"the master"]  # streamed from the master as it is
    stored = finisher.storage
    assert isinstance(stored, InMemoryStorage)
    assert {key.rsplit("/hls/", 1)[-1] for key in stored.objects if "/hls/" in key} == {
        "index.m3u8",
        "480p/index.m3u8",
        "480p/0.m4s",
    }
    assert [s.kind for s in _of(log, j.JobStarted)][-1] == "upscale"
    assert isinstance(finisher.worker.progress, RecordingProgress)
    assert finisher.worker.progress.percents() == [100, 100]


async def test_a_final_left_without_streams_by_a_dead_worker_gets_them_on_redelivery() -> None:
    log = InMemoryStoryLog()
    composed = await _composed(log)
    story_id, attempt_id = composed.event.story_id, composed.event.attempt_id
    await Driver(log).run(
        c.RecordRenderCompleted(
            story_id=story_id, attempt_id=attempt_id, media=AT_TARGET, upscaled=False
        )
    )  # the worker died here
    finisher = _finisher(log)
    await finisher.on_final_composed(composed, 2, composed.sequence)
    await _finisher(log).on_final_composed(composed, 3, composed.sequence)  # and once more
    (streamed,) = _of(log, e.FinalStreamed)
    assert streamed.hls_key.endswith(f"/{attempt_id}/hls/index.m3u8")
    assert len(_of(log, e.RenderCompleted)) == 1


async def test_streams_that_keep_failing_leave_the_completed_final_as_it_is() -> None:
    log = InMemoryStoryLog()
    composed = await _composed(log)
    await Driver(log).run(
        c.RecordRenderCompleted(
            story_id=composed.event.story_id,
            attempt_id=composed.event.attempt_id,
            media=AT_TARGET,
            upscaled=False,
        )
    )
    before = len(log.facts)
    await _finisher(log).fail(composed, RuntimeError("ffmpeg exited with 1"))
    assert len(log.facts) == before  # no failure of a story whose video is there
    view = await log.view(composed.event.story_id)
    assert view.status is not None and view.status.value == "completed"


async def test_two_deliveries_of_one_master_finish_it_once() -> None:
    log = InMemoryStoryLog()
    composed = await _composed(log)
    await _finisher(log).on_final_composed(composed, 1, composed.sequence)
    await _finisher(log).on_final_composed(composed, 1, composed.sequence + 1)
    assert len(_of(log, e.RenderCompleted)) == 1


async def test_a_cancelled_render_is_not_finished() -> None:
    log = InMemoryStoryLog()
    composed = await _composed(log)
    await Driver(log).run(c.Cancel(story_id=composed.event.story_id))
    before = len(log.facts)
    await _finisher(log).on_final_composed(composed, 1, composed.sequence)
    assert len(log.facts) == before


async def test_giving_up_fails_the_story_with_the_reason() -> None:
    log = InMemoryStoryLog()
    composed = await _composed(log)
    await _finisher(log).fail(composed, RuntimeError("disk full"))
    (failed,) = _of(log, e.StoryFailed)
    assert failed.code == "upscale_failed" and "disk full" in failed.reason
    assert failed.stage == Stage.RENDER


def _media(width: int, height: int, fps: float) -> MediaOutput:
    return MediaOutput(
        video_key="m.mp4",
        thumbnail_key="m.jpg",
        duration_seconds=8,
        width=width,
        height=height,
        fps=fps,
        size_bytes=1,
    )


def test_the_upscaler_leaves_a_master_at_target_alone_and_otherwise_scales_and_interpolates() -> (
    None
):
    target = RenderProfile(width=1920, height=1080, fps=60)
    assert at_target(_media(1920, 1080, 60), target)
    assert filters(_media(960, 540, 30), target, "blend") == (
        "scale=1920:1080:flags=lanczos,tpad=stop_mode=clone:stop_duration=0.1,"
        "minterpolate=fps=60:mi_mode=blend,setsar=1"
    )
    assert "mi_mode=mci" in filters(_media(1920, 1080, 30), target, "mci")
