"""Compose an attempt's scenes into one video, once per attempt.

Each ``scene_generated`` is looked at; the fact that completes the set queues the attempt's compose
job in its lane (previews interactive, finals batch). A compose worker of that lane claims it
(``ClaimJob``: one claim wins; a redelivered job takes over from a worker that died),
gets the scenes ready (:mod:`~vp_compositor.service.prepare`), runs one ffmpeg pass (or, for a
long final, has the replicas render it in segments: :mod:`~vp_compositor.service.segments`),
probes the result, stores video, thumbnail and subtitles, and records ``preview_composed`` or
``final_composed``.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import math
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from vp_contracts.envelope import RecordedEvent
from vp_contracts.events.base import Event
from vp_contracts.ids import stage_job_id
from vp_contracts.story import commands as c
from vp_contracts.story.view import Attempt, StoryView
from vp_contracts.values import JobKind, MediaOutput, Stage
from vp_runtime.media import BATCH_NICENESS, MediaError, loudness, probe, thumbnail
from vp_runtime.media.encoders import SOFTWARE, Encoders
from vp_runtime.observability.metrics import timed_generation
from vp_runtime.providers.speech import read_wav
from vp_runtime.stage import Job, Worker
from vp_runtime.storage import Storage

from vp_compositor.domain.jobs import ComposeJob, ComposeQueue, SegmentJob
from vp_compositor.domain.layers import BrokenAsset
from vp_compositor.domain.subtitles import Cue, srt, webvtt
from vp_compositor.domain.timeline import (
    compose_args,
    scene_starts,
    total_duration,
)
from vp_compositor.service.live import LivePreview
from vp_compositor.service.prepare import (
    FontFor,
    Preparer,
    Unfit,
    composable,
    encoded,
)
from vp_compositor.service.segments import Segments
from vp_compositor.settings import CompositorSettings

log = logging.getLogger(__name__)


MIN_NARRATION_DB = -40.0
"""A narrated video whose loudest moment is quieter than this says nothing."""


async def _check_audible(video: Path, narrations: list[Path], music: bool, language: str) -> None:
    """A narrated video must be heard. Music could drown a silent voice, so with music the
    voice is judged on its own files (read here: no ffmpeg run per scene)."""
    if music:
        loudest = await asyncio.to_thread(_loudest_db, narrations)
    else:
        loudest = (await loudness(video)).max_db
    if loudest < MIN_NARRATION_DB:
        raise Unfit(
            "silent_narration",
            f"the narration came out silent (loudest {loudest:.0f} dB) for language"
            f" '{language}': choose another voice (or record your own again) and generate again",
        )


def _loudest_db(wavs: list[Path]) -> float:
    peak = max(float(np.abs(read_wav(path.read_bytes())[0]).max(initial=0.0)) for path in wavs)
    return 20 * math.log10(peak) if peak > 0 else -math.inf


@dataclass
class Composer:
    worker: Worker
    storage: Storage
    settings: CompositorSettings
    font_for: FontFor
    queue: ComposeQueue
    encoders: Encoders = field(default_factory=lambda: Encoders([SOFTWARE]))
    """The H.264 encoder (hardware when the process found one), libx264 when it fails."""

    def __post_init__(self) -> None:
        self.preparer = Preparer(self.storage, self.settings, self.font_for)
        self.segments = Segments(
            self.worker.log, self.storage, self.settings, self.queue, self.preparer, self.encoders
        )

    async def on_segment_job(self, queued: SegmentJob) -> None:
        """Render one segment of a long final (see :mod:`vp_compositor.service.segments`)."""
        await self.segments.render(queued)

    async def segment_failed(self, queued: SegmentJob, error: BaseException) -> None:
        await self.segments.failed(queued, error)

    async def on_scene_generated(self, recorded: RecordedEvent[Event]) -> ComposeJob | None:
        """Queue the attempt's compose job in its lane when this fact completes its scenes."""
        view = await self.worker.log.view(recorded.event.story_id)
        attempt = composable(view)
        if attempt is None:
            return None
        job = ComposeJob(
            story_id=view.story_id,
            owner_id=view.owner_id or "",
            attempt_id=attempt.id,
            stage="preview" if attempt.stage == Stage.PREVIEW else "render",
        )
        await self.queue.put(job)
        return job

    async def on_compose_job(self, queued: ComposeJob, delivery_attempt: int, trigger: int) -> None:
        """Compose the queued attempt once (one claim wins; a redelivery takes over)."""
        view = await self.worker.log.view(queued.story_id)
        attempt = composable(view)
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
            segments = [] if preview else self.segments.plan(view)
            # A final in segments is drawn by the segment workers: only its sound is needed here.
            pictures = range(0) if len(segments) > 1 else None
            cut = await self.preparer.prepare(view, attempt, folder, pictures)
            clock.append(time.perf_counter())
            scenes, profile, out = cut.scenes, cut.profile, cut.out
            duration = total_duration(scenes)
            what = "preview" if preview else "final master"

            async def progress(share: float) -> None:
                await job.tick(5 + 85 * share, f"encoding the {what}")

            video = folder / "out.mp4"
            base = f"stories/{view.story_id}/{attempt.id}/{'preview' if preview else 'master'}"
            live = None
            if len(segments) > 1:
                await self.segments.join(view, attempt, cut, segments, folder, progress)
            else:
                if preview:  # it plays while it renders
                    live = LivePreview(
                        self.storage, job, folder / "live", f"{base}-live/index.m3u8", duration
                    )
                async with live.following() if live else contextlib.nullcontext():
                    await self.encoders.render(
                        lambda encoder: compose_args(
                            scenes, encoded(out, encoder), video.name, "live" if live else None
                        ),
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
            narrations = [folder / scene.narration for scene in scenes if scene.narration]
            if narrations:
                await _check_audible(video, narrations, cut.out.music is not None, cut.language)
            starts = scene_starts(scenes)
            cover = folder / "thumbnail.jpg"
            await thumbnail(
                video, cover, at_seconds=min(duration / 2, starts[0] + scenes[0].duration / 2)
            )
            titled = await self._store(base, video, cover, cut.cues, cut.language)
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
                subtitles_key=f"{base}.vtt" if titled else None,
                srt_key=f"{base}.srt" if titled else None,
                duration_seconds=round(facts.duration, 3),
                width=facts.width or profile.width,
                height=facts.height or profile.height,
                fps=facts.fps or profile.fps,
                size_bytes=facts.size,
                hls_key=live.key if live else None,
            )

    async def _store(
        self, base: str, video: Path, cover: Path, cues: list[Cue], language: str
    ) -> bool:
        """Video, thumbnail and (when there are cues) WebVTT and SRT subtitles under ``base``;
        whether there are subtitles."""
        uploads = [
            self.storage.put_file(f"{base}.mp4", video, "video/mp4"),
            self.storage.put_file(f"{base}.jpg", cover, "image/jpeg"),
        ]
        if cues:
            vtt, sub = webvtt(cues, language).encode(), srt(cues).encode()
            uploads.append(self.storage.put_bytes(f"{base}.vtt", vtt, "text/vtt"))
            uploads.append(self.storage.put_bytes(f"{base}.srt", sub, "application/x-subrip"))
        await asyncio.gather(*uploads)
        return bool(cues)
