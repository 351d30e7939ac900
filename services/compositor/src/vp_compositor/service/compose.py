"""Compose an attempt's scenes into one video, once per attempt.

Each ``scene_generated`` is looked at; the fact that completes the set queues the attempt's compose
job in its lane (previews interactive, finals batch). A compose worker of that lane claims it
(``ClaimJob``: one claim wins; a redelivered job takes over from a worker that died),
downloads the assets, runs one ffmpeg pass, probes the result, stores video, thumbnail and
subtitles, and records ``preview_composed`` or ``final_composed``.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from pathlib import Path

from vp_contracts.envelope import RecordedEvent
from vp_contracts.events.base import Event
from vp_contracts.ids import stage_job_id
from vp_contracts.language import sentences
from vp_contracts.story import commands as c
from vp_contracts.story.view import Attempt, SceneView, StoryView
from vp_contracts.values import JobKind, MediaOutput, RenderProfile, SceneAssets, Stage
from vp_runtime.media import BATCH_NICENESS, MediaError, loudness, probe, run_ffmpeg, thumbnail
from vp_runtime.observability.metrics import timed_generation
from vp_runtime.stage import Job, Worker
from vp_runtime.storage import MissingObject, Storage

from vp_compositor.domain.jobs import ComposeJob, ComposeQueue, SegmentJob
from vp_compositor.domain.layers import BrokenAsset, check_image, cut_out
from vp_compositor.domain.subtitles import Cue, Layout, ass, paged, timeline_cues, webvtt
from vp_compositor.domain.timeline import (
    Output,
    SceneMedia,
    Segment,
    audio_args,
    compose_args,
    join_args,
    plan_segments,
    scene_starts,
    segment_args,
    total_duration,
)
from vp_compositor.settings import CompositorSettings, subtitle_font

log = logging.getLogger(__name__)


MIN_NARRATION_DB = -40.0
"""A narrated video whose loudest moment is quieter than this says nothing."""


class Unfit(Exception):
    """The video would not be what the story asks (silent, unreadable): fail it, saying so."""

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(reason)
        self.code, self.reason = code, reason


def _spoken(assets: SceneAssets) -> bool:
    return bool(
        assets.narration_key
        and assets.cues
        and all(cue.end_seconds > cue.start_seconds and cue.text.strip() for cue in assets.cues)
    )


async def _check_audible(video: Path, language: str) -> None:
    level = await loudness(video)
    if level.max_db < MIN_NARRATION_DB:
        raise Unfit(
            "silent_narration",
            f"the narration came out silent (loudest {level.max_db:.0f} dB) for language"
            f" '{language}': choose another voice and generate again",
        )


def _cues(view: StoryView, starts: list[float], layout: Layout) -> list[Cue]:
    """Every scene's cues on the video's timeline, paged to fit the frame."""
    per_scene = [
        [(q.start_seconds, q.end_seconds, q.text) for q in (s.assets.cues if s.assets else ())]
        for s in view.attempt_scenes()
    ]
    return paged(timeline_cues(starts, per_scene), layout)


def master_profile(target: RenderProfile, max_height: int, max_fps: int | None) -> RenderProfile:
    """The final master: the target, or smaller / slower when the upscaler is to finish it."""
    short = min(target.width, target.height)
    scale = min(1.0, max_height / short)
    width, height = (round(target.width * scale / 2) * 2, round(target.height * scale / 2) * 2)
    fps = min(target.fps, max_fps) if max_fps else target.fps
    return RenderProfile(width=width, height=height, fps=fps)


SEGMENT_POLL_SECONDS = 0.5


def segment_key(story_id: str, attempt_id: str, index: int) -> str:
    return f"stories/{story_id}/{attempt_id}/segments/{index}.mp4"


def failure_key(key: str) -> str:
    return f"{key}.failed"


def _within(cues: list[Cue], start: float, end: float) -> list[Cue]:
    """The cues shown between ``start`` and ``end``, timed from ``start``."""
    return [
        Cue(max(0.0, cue.start - start), min(end, cue.end) - start, cue.text)
        for cue in cues
        if cue.end > start and cue.start < end
    ]


@dataclass(frozen=True)
class Cut:
    """What composing an attempt needs, prepared in its working folder."""

    scenes: list[SceneMedia]
    profile: RenderProfile
    out: Output
    cues: list[Cue]
    layout: Layout
    language: str


FontFor = Callable[[str, str], str | None]
"""(preferred font, text) -> a font that draws every letter of the text, or None."""


@dataclass
class Composer:
    worker: Worker
    storage: Storage
    settings: CompositorSettings
    font_for: FontFor
    queue: ComposeQueue

    async def on_scene_generated(self, recorded: RecordedEvent[Event]) -> ComposeJob | None:
        """Queue the attempt's compose job in its lane when this fact completes its scenes."""
        view = await self.worker.log.view(recorded.event.story_id)
        attempt = self._composable(view)
        if attempt is None:
            return None
        job = ComposeJob(
            story_id=view.story_id,
            attempt_id=attempt.id,
            stage="preview" if attempt.stage == Stage.PREVIEW else "render",
        )
        await self.queue.put(job)
        return job

    @staticmethod
    def _composable(view: StoryView) -> Attempt | None:
        """The current attempt if all its scenes are ready and it is not composed yet."""
        attempt = view.attempt
        if attempt is None or attempt.stage == Stage.PLANNING or not view.is_current(attempt.id):
            return None
        if not view.scenes_ready() or (attempt.stage == Stage.RENDER and view.master is not None):
            return None
        return attempt

    async def on_compose_job(self, queued: ComposeJob, delivery_attempt: int, trigger: int) -> None:
        """Compose the queued attempt once (one claim wins; a redelivery takes over)."""
        view = await self.worker.log.view(queued.story_id)
        attempt = self._composable(view)
        if attempt is None or attempt.id != queued.attempt_id:
            return  # cancelled, superseded or composed meanwhile
        job = self._job(view, attempt)
        if not await job.claim(delivery_attempt, trigger):
            return
        try:
            with timed_generation("compose"):
                media = await self.compose(view, attempt)
        except BrokenAsset as error:
            await self._fail(
                job, attempt, "asset_broken", f"{error}: generate the {attempt.stage.value} again"
            )
            return
        except Unfit as error:
            await self._fail(job, attempt, error.code, error.reason)
            return
        command: c.Command
        if attempt.stage == Stage.PREVIEW:
            command = c.RecordPreviewComposed(
                story_id=view.story_id, attempt_id=attempt.id, media=media
            )
        else:
            command = c.RecordFinalComposed(
                story_id=view.story_id, attempt_id=attempt.id, media=media
            )
        await job.execute(command, "composed")
        await job.tick(100, "composed")

    def _job(self, view: StoryView, attempt: Attempt) -> Job:
        return self.worker.job(
            view.story_id, attempt.id, JobKind.COMPOSE, stage_job_id(attempt.id, "compose")
        )

    async def fail(self, story_id: str, error: BaseException) -> None:
        view = await self.worker.log.view(story_id)
        if view.attempt is not None:
            await self._fail(
                self._job(view, view.attempt),
                view.attempt,
                "compose_failed",
                f"the video could not be composed: {error}",
            )

    async def _fail(self, job: Job, attempt: Attempt, code: str, reason: str) -> None:
        command = c.RecordStageFailure(
            story_id=job.story_id,
            attempt_id=attempt.id,
            stage=attempt.stage,
            code=code,
            reason=reason[:2000],
        )
        await job.execute(command, "failed")

    async def compose(self, view: StoryView, attempt: Attempt) -> MediaOutput:
        job = self._job(view, attempt)
        preview = attempt.stage == Stage.PREVIEW
        with tempfile.TemporaryDirectory(prefix="compose-") as name:
            folder = Path(name)
            await job.tick(2, "gathering the scenes")
            clock = [time.perf_counter()]
            segments = [] if preview else self._segments(view)
            # A final in segments is drawn by the segment workers: only its sound is needed here.
            pictures = range(0) if len(segments) > 1 else None
            cut = await self._prepare(view, attempt, folder, pictures)
            clock.append(time.perf_counter())
            scenes, profile, out = cut.scenes, cut.profile, cut.out
            duration = total_duration(scenes)
            what = "preview" if preview else "final master"

            async def progress(share: float) -> None:
                await job.tick(5 + 85 * share, f"encoding the {what}")

            video = folder / "out.mp4"
            if len(segments) > 1:
                await self._compose_segments(view, attempt, cut, segments, folder, progress)
            else:
                await run_ffmpeg(
                    compose_args(scenes, out, video.name),
                    duration=duration,
                    on_progress=progress,
                    cwd=folder,
                    niceness=0 if preview else BATCH_NICENESS,
                )
            clock.append(time.perf_counter())
            facts = await probe(video)
            if abs(facts.duration - duration) > 1.5 / profile.fps:
                raise MediaError(
                    f"the video lasts {facts.duration:.3f}s instead of {duration:.3f}s"
                )
            if any(scene.narration for scene in scenes):
                await _check_audible(video, cut.language)
            starts = scene_starts(scenes)
            cover = folder / "thumbnail.jpg"
            await thumbnail(
                video, cover, at_seconds=min(duration / 2, starts[0] + scenes[0].duration / 2)
            )
            base = f"stories/{view.story_id}/{attempt.id}/{'preview' if preview else 'master'}"
            subtitles_key = await self._store(base, video, cover, cut.cues, cut.language)
            clock.append(time.perf_counter())
            log.info(
                "composed %s of %s (%d segments): assets %.2fs, ffmpeg %.2fs, probe+thumbnail+"
                "upload %.2fs",
                what,
                view.story_id,
                max(1, len(segments)),
                *(b - a for a, b in itertools.pairwise(clock)),
            )

            return MediaOutput(
                video_key=f"{base}.mp4",
                thumbnail_key=f"{base}.jpg",
                subtitles_key=subtitles_key,
                duration_seconds=round(facts.duration, 3),
                width=facts.width or profile.width,
                height=facts.height or profile.height,
                fps=facts.fps or profile.fps,
                size_bytes=facts.size,
            )

    async def _prepare(
        self, view: StoryView, attempt: Attempt, folder: Path, pictures: range | None = None
    ) -> Cut:
        """The scenes' files in ``folder`` (the pictures only of the scenes in ``pictures``, when
        given), the output settings and the subtitle cues (with their ASS file written when the
        story burns them in)."""
        assert attempt.profile is not None and view.spec is not None
        preview = attempt.stage == Stage.PREVIEW
        profile = (
            attempt.profile
            if preview
            else master_profile(
                attempt.profile, self.settings.master_max_height, self.settings.master_max_fps
            )
        )
        scenes = await self._gather(view, profile, folder, pictures)
        language = view.language or "en"
        font = subtitle_font(self.settings.subtitle_fonts, language)
        layout = Layout(profile.width, profile.height, font, language)
        cues = _cues(view, scene_starts(scenes), layout)
        subtitles = None
        if cues and view.spec.burn_subtitles:
            layout = await self._with_a_font_for(layout, cues)
            (folder / "subtitles.ass").write_text(ass(cues, layout), encoding="utf-8")
            subtitles = "subtitles.ass"
        crossfade = view.spec.generation_params.crossfade_seconds
        out = self._output(profile, preview, crossfade, subtitles)
        return Cut(scenes, profile, out, cues, layout, language)

    def _segments(self, view: StoryView) -> list[Segment]:
        """How the story's final is cut for compositor replicas to share (one or none: not)."""
        seconds = self.settings.segment_seconds
        assert view.spec is not None
        timeline = [
            SceneMedia(duration=scene.spec.duration_seconds, background="")
            for scene in view.attempt_scenes()
        ]
        if not seconds or not timeline or total_duration(timeline) < 1.5 * seconds:
            return []
        chosen = view.spec.generation_params.crossfade_seconds
        crossfade = self.settings.crossfade_seconds if chosen is None else chosen
        return plan_segments(timeline, crossfade, seconds)

    async def _compose_segments(
        self,
        view: StoryView,
        attempt: Attempt,
        cut: Cut,
        segments: list[Segment],
        folder: Path,
        progress: Callable[[float], Awaitable[None]],
    ) -> None:
        """Queue the segments for any compositor replica (this one's segment workers too), mix
        the sound meanwhile, wait for every segment, then join them as they are (no second
        encode) with the sound into ``folder/out.mp4``."""
        for segment in segments:
            await self.queue.put_segment(
                SegmentJob(story_id=view.story_id, attempt_id=attempt.id, index=segment.index)
            )
        audio = None
        if any(scene.narration for scene in cut.scenes):
            await run_ffmpeg(audio_args(cut.scenes, "audio.m4a"), cwd=folder)
            audio = "audio.m4a"
        keys = [segment_key(view.story_id, attempt.id, s.index) for s in segments]
        deadline = time.monotonic() + self.settings.segment_wait_seconds
        while True:
            ready = [await self.storage.exists(key) for key in keys]
            for key in keys:
                if await self.storage.exists(failure_key(key)):
                    reason = (await self.storage.get_bytes(failure_key(key))).decode()
                    raise MediaError(f"segment {key.rsplit('/', 1)[-1]} failed: {reason}")
            await progress(0.95 * sum(ready) / len(keys))
            if all(ready):
                break
            if time.monotonic() > deadline:
                raise MediaError(f"{len(keys) - sum(ready)} segments were not rendered in time")
            await asyncio.sleep(SEGMENT_POLL_SECONDS)
        names = [f"segment-{segment.index}.mp4" for segment in segments]
        await asyncio.gather(
            *(
                self.storage.download(key, folder / name)
                for key, name in zip(keys, names, strict=True)
            )
        )
        (folder / "segments.txt").write_text("".join(f"file '{name}'\n" for name in names))
        duration = total_duration(cut.scenes)
        await run_ffmpeg(join_args("segments.txt", audio, duration, "out.mp4"), cwd=folder)

    async def on_segment_job(self, queued: SegmentJob) -> None:
        """Render one segment of a final (unless it is rendered already, or the attempt is
        gone) and store it for the replica that joins them."""
        view = await self.worker.log.view(queued.story_id)
        attempt = self._composable(view)
        if attempt is None or attempt.id != queued.attempt_id or attempt.stage != Stage.RENDER:
            return
        key = segment_key(view.story_id, attempt.id, queued.index)
        if await self.storage.exists(key):
            return
        segment = self._segments(view)[queued.index]
        with tempfile.TemporaryDirectory(prefix="segment-") as name:
            folder = Path(name)
            cut = await self._prepare(view, attempt, folder, range(segment.first, segment.last + 1))
            out = cut.out
            if out.subtitles:
                shifted = _within(cut.cues, segment.start, segment.end)
                (folder / "segment.ass").write_text(ass(shifted, cut.layout), encoding="utf-8")
                out = replace(out, subtitles="segment.ass")
            await run_ffmpeg(
                segment_args(cut.scenes, out, segment, "segment.mp4"),
                cwd=folder,
                niceness=BATCH_NICENESS,
            )
            await self.storage.put_file(key, folder / "segment.mp4", "video/mp4")

    async def segment_failed(self, queued: SegmentJob, error: BaseException) -> None:
        """Tell the joining replica that a segment gave up (it fails the attempt)."""
        key = failure_key(segment_key(queued.story_id, queued.attempt_id, queued.index))
        await self.storage.put_bytes(key, str(error)[:1000].encode(), "text/plain")

    def _output(
        self, profile: RenderProfile, preview: bool, crossfade: float | None, subtitles: str | None
    ) -> Output:
        settings = self.settings
        return Output(
            width=profile.width,
            height=profile.height,
            fps=profile.fps,
            preset=settings.preview_preset if preview else settings.final_preset,
            crf=settings.preview_crf if preview else settings.final_crf,
            crossfade=settings.crossfade_seconds if crossfade is None else crossfade,
            subtitles=subtitles,
        )

    async def _store(
        self, base: str, video: Path, cover: Path, cues: list[Cue], language: str
    ) -> str | None:
        """Video, thumbnail and (when there are cues) WebVTT subtitles under ``base``; the
        subtitles' key."""
        subtitles_key = f"{base}.vtt" if cues else None
        uploads = [
            self.storage.put_file(f"{base}.mp4", video, "video/mp4"),
            self.storage.put_file(f"{base}.jpg", cover, "image/jpeg"),
        ]
        if subtitles_key:
            vtt = webvtt(cues, language).encode()
            uploads.append(self.storage.put_bytes(subtitles_key, vtt, "text/vtt"))
        await asyncio.gather(*uploads)
        return subtitles_key

    async def _with_a_font_for(self, layout: Layout, cues: list[Cue]) -> Layout:
        text = "".join(cue.text for cue in cues)
        font = await asyncio.to_thread(self.font_for, layout.font, text)
        if font is None:
            raise Unfit(
                "no_font",
                f"no installed font can draw the subtitles of language '{layout.language}':"
                " install fonts-noto-cjk (or set VP_SUBTITLE_FONTS), then compose again",
            )
        return replace(layout, font=font)

    async def _gather(
        self, view: StoryView, profile: RenderProfile, folder: Path, pictures: range | None
    ) -> list[SceneMedia]:
        """Every scene's files, fetched and prepared concurrently (cropping runs in threads);
        the pictures only of the scenes in ``pictures`` when given."""
        narrated = bool(view.spec and view.spec.narration)
        # Every fetch ends before the first failure is raised: none is left writing into a
        # folder that is being removed.
        results = await asyncio.gather(
            *(
                self._scene(
                    index, scene, narrated, profile, folder, pictures is None or index in pictures
                )
                for index, scene in enumerate(view.attempt_scenes())
            ),
            return_exceptions=True,
        )
        for result in results:
            if isinstance(result, BaseException):
                raise result
        return [result for result in results if isinstance(result, SceneMedia)]

    async def _scene(
        self,
        index: int,
        scene: SceneView,
        narrated: bool,
        profile: RenderProfile,
        folder: Path,
        picture: bool = True,
    ) -> SceneMedia:
        assets = scene.assets
        assert assets is not None
        label = f"scene {index + 1}"
        if narrated and sentences(scene.spec.narration) and not _spoken(assets):
            raise Unfit(
                "silent_narration",
                f"{label} has narration text but no spoken narration with subtitle cues:"
                " generate the scene again",
            )
        narration = None
        if assets.narration_key and narrated:
            narration = (
                await self._fetch(
                    assets.narration_key,
                    folder / f"narration-{index}.wav",
                    f"{label}'s narration",
                )
            ).name
        if not picture:  # drawn elsewhere (a segment of another replica): its timing only
            return SceneMedia(
                duration=scene.spec.duration_seconds,
                background="",
                narration=narration,
                motion=scene.spec.prompt.motion,
                action=scene.spec.prompt.action,
            )
        background = await self._fetch(
            assets.background_key, folder / f"background-{index}.png", f"{label}'s background"
        )
        await asyncio.to_thread(check_image, background, f"{label}'s background")
        layer = None
        if assets.character_key:
            source = await self._fetch(
                assets.character_key, folder / f"character-{index}.png", f"{label}'s character"
            )
            layer = await asyncio.to_thread(
                cut_out,
                source,
                profile.width,
                profile.height,
                folder / f"layer-{index}.png",
                f"{label}'s character",
            )
        clip = None
        if assets.clip_key:
            clip = (
                await self._fetch(assets.clip_key, folder / f"clip-{index}.mp4", f"{label}'s clip")
            ).name
        return SceneMedia(
            duration=scene.spec.duration_seconds,
            background=background.name,
            character=layer,
            clip=clip,
            narration=narration,
            motion=scene.spec.prompt.motion,
            action=scene.spec.prompt.action,
        )

    async def _fetch(self, key: str, target: Path, what: str) -> Path:
        try:
            await self.storage.download(key, target)
        except MissingObject:
            raise BrokenAsset(f"{what} is missing from storage") from None
        return target
