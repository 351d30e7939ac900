"""The compositor's decisions on an in-memory log: queue the compose job in its lane when the
last scene of the attempt is in, compose it once however many triggers and deliveries arrive,
never for stale work; a broken asset or an unfit video fails the story saying what to do. (The
ffmpeg pass itself is an integration test.)"""

from __future__ import annotations

from typing import Any

from vp_compositor.domain.jobs import ComposeJob, SegmentJob
from vp_compositor.domain.layers import BrokenAsset
from vp_compositor.service.compose import Composer, Unfit
from vp_compositor.settings import CompositorSettings
from vp_contracts.events import jobs as j
from vp_contracts.events import story as e
from vp_contracts.events.base import Event
from vp_contracts.ids import new_id
from vp_contracts.story import commands as c
from vp_contracts.story.view import Attempt, StoryView
from vp_contracts.values import MediaOutput, SceneAssets, Stage
from vp_runtime.eventstore import InMemoryStoryLog
from vp_runtime.storage import InMemoryStorage

from tests.support.facts import Driver
from tests.unit.fakes import worker

MEDIA = MediaOutput(
    video_key="p.mp4",
    thumbnail_key="p.jpg",
    duration_seconds=21,
    width=854,
    height=480,
    fps=24,
    size_bytes=1000,
)


class Queue:
    """The work queue as JetStream keeps it: one message per job id (the duplicate window)."""

    def __init__(self) -> None:
        self.jobs: dict[str, ComposeJob] = {}

    async def put(self, job: ComposeJob) -> None:
        self.jobs.setdefault(job.attempt_id, job)

    async def put_segment(self, job: SegmentJob) -> None:
        raise AssertionError("short finals are composed in one pass")


class Composing:
    """A composer whose ffmpeg pass is replaced by ``result`` (media, or an error raised)."""

    def __init__(self, log: InMemoryStoryLog, result: MediaOutput | Exception = MEDIA) -> None:
        self.composer = Composer(
            worker("compositor", log),
            InMemoryStorage(),
            CompositorSettings(),
            font_for=lambda preferred, text: preferred,
            queue=(queue := Queue()),
        )
        self.queue = queue
        self.calls: list[str] = []

        async def compose(view: StoryView, attempt: Attempt) -> MediaOutput:
            self.calls.append(attempt.id)
            if isinstance(result, Exception):
                raise result
            return result

        self.composer.compose = compose  # type: ignore[method-assign]

    async def trigger(self, fact: Any, delivery_attempt: int = 1) -> None:
        """A scene fact arrives; every job it queued is delivered to a compose worker."""
        await self.composer.on_scene_generated(fact)
        for number, job in enumerate(self.queue.jobs.values(), start=1):
            await self.composer.on_compose_job(job, delivery_attempt, number)


async def _ready(log: InMemoryStoryLog) -> Any:
    """A preview whose scenes are all generated; the last scene_generated fact."""
    driver = Driver(log)
    story_id = await driver.created()
    await driver.planned(story_id)
    await driver.scenes_generated(story_id, Stage.PREVIEW)
    return _last(log, e.SceneGenerated)


def _last(log: InMemoryStoryLog, kind: type[Event]) -> Any:
    return next(f for f in reversed(log.facts) if isinstance(f.event, kind))


def _of(log: InMemoryStoryLog, kind: type[Event]) -> list[Any]:
    return [event for event in log.events() if isinstance(event, kind)]


async def test_the_last_scene_composes_the_preview() -> None:
    log = InMemoryStoryLog()
    trigger = await _ready(log)
    composing = Composing(log)
    await composing.trigger(trigger)
    (composed,) = _of(log, e.PreviewComposed)
    assert composed.media == MEDIA
    assert [s.kind for s in _of(log, j.JobStarted)][-1] == "compose"


async def test_previews_wait_in_the_interactive_lane_and_finals_in_the_batch_lane() -> None:
    log = InMemoryStoryLog()
    composing = Composing(log)
    await composing.trigger(await _ready(log))
    (preview,) = composing.queue.jobs.values()
    assert (preview.stage, preview.lane) == ("preview", "interactive")

    driver = Driver(log)
    story_id = preview.story_id
    await driver.scenes_generated(story_id, Stage.RENDER)
    await composing.trigger(_last(log, e.SceneGenerated))
    final = composing.queue.jobs[log.facts[-1].event.attempt_id]
    assert (final.stage, final.lane) == ("render", "batch")
    assert len(_of(log, e.FinalComposed)) == 1


async def test_a_job_whose_attempt_was_cancelled_while_queued_composes_nothing() -> None:
    log = InMemoryStoryLog()
    trigger = await _ready(log)
    composing = Composing(log)
    job = await composing.composer.on_scene_generated(trigger)
    assert job is not None
    await Driver(log).run(c.Cancel(story_id=job.story_id))
    await composing.composer.on_compose_job(job, 1, 1)
    assert composing.calls == []


async def test_many_triggers_compose_once() -> None:
    log = InMemoryStoryLog()
    trigger = await _ready(log)
    composing = Composing(log)
    await composing.trigger(trigger)
    await composing.trigger(trigger)  # the same fact again
    earlier = next(f for f in log.facts if isinstance(f.event, e.SceneGenerated))
    await composing.trigger(earlier)
    assert len(composing.calls) == 1 and len(_of(log, e.PreviewComposed)) == 1


async def test_a_scene_still_missing_composes_nothing() -> None:
    log = InMemoryStoryLog()
    driver = Driver(log)
    story_id = await driver.created()
    await driver.planned(story_id)
    attempt = new_id()
    view = (await driver.run(c.RequestPreview(story_id=story_id, attempt_id=attempt))).view
    first = view.scenes[0].scene_id
    assets = SceneAssets(background_key="bg.png", width=854, height=480)
    await driver.run(
        c.RecordSceneGenerated(
            story_id=story_id,
            attempt_id=attempt,
            scene_id=first,
            assets=assets,
            provider="offline",
            cost=0,
            cache_hit=False,
            generation_seconds=1,
        )
    )
    composing = Composing(log)
    await composing.trigger(_last(log, e.SceneGenerated))
    assert composing.calls == [] and not _of(log, e.PreviewComposed)


async def test_a_cancelled_attempt_is_not_composed() -> None:
    log = InMemoryStoryLog()
    trigger = await _ready(log)
    await Driver(log).run(c.Cancel(story_id=trigger.event.story_id))
    composing = Composing(log)
    await composing.trigger(trigger)
    assert composing.calls == []


async def test_a_broken_asset_fails_the_story_saying_to_generate_again() -> None:
    log = InMemoryStoryLog()
    trigger = await _ready(log)
    await Composing(log, BrokenAsset("scene 2's background is missing")).trigger(trigger)
    (failed,) = _of(log, e.StoryFailed)
    assert failed.code == "asset_broken"
    assert failed.reason == "scene 2's background is missing: generate the preview again"


async def test_a_silent_video_fails_with_its_own_code() -> None:
    log = InMemoryStoryLog()
    trigger = await _ready(log)
    await Composing(log, Unfit("silent_narration", "the narration came out silent")).trigger(
        trigger
    )
    (failed,) = _of(log, e.StoryFailed)
    assert (failed.code, failed.stage) == ("silent_narration", Stage.PREVIEW)


async def test_giving_up_fails_the_running_attempt() -> None:
    log = InMemoryStoryLog()
    trigger = await _ready(log)
    await Composing(log).composer.fail(trigger.event.story_id, RuntimeError("ffmpeg crashed"))
    (failed,) = _of(log, e.StoryFailed)
    assert failed.code == "compose_failed" and "ffmpeg crashed" in failed.reason
