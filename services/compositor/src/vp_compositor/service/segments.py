"""Long finals in segments: cut where a crossfade has just ended, each segment rendered by
any compositor replica (a job on ``vp.jobs.segment.batch``), the sound mixed once, and the
segments joined as they are (no second encode) by the worker that claimed the compose."""

from __future__ import annotations

import asyncio
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from pathlib import Path

from vp_contracts.story.view import Attempt, StoryView
from vp_contracts.values import Stage
from vp_runtime.eventstore import StoryLog
from vp_runtime.media import BATCH_NICENESS, MediaError, run_ffmpeg
from vp_runtime.media.encoders import Encoders
from vp_runtime.storage import Storage

from vp_compositor.domain.jobs import ComposeQueue, SegmentJob
from vp_compositor.domain.subtitles import Cue, ass
from vp_compositor.domain.timeline import (
    SceneMedia,
    Segment,
    audio_args,
    has_sound,
    join_args,
    plan_segments,
    segment_args,
    total_duration,
)
from vp_compositor.service.prepare import Cut, Preparer, composable, encoded, scene_seconds
from vp_compositor.settings import CompositorSettings

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


@dataclass
class Segments:
    stories: StoryLog
    storage: Storage
    settings: CompositorSettings
    queue: ComposeQueue
    preparer: Preparer
    encoders: Encoders

    def plan(self, view: StoryView) -> list[Segment]:
        """How the story's final is cut for compositor replicas to share (one or none: not)."""
        seconds = self.settings.segment_seconds
        assert view.spec is not None
        timeline = [
            SceneMedia(
                duration=scene_seconds(scene),
                background="",
                transition=scene.spec.transition or view.spec.transition,
            )
            for scene in view.attempt_scenes()
        ]
        if not seconds or not timeline or total_duration(timeline) < 1.5 * seconds:
            return []
        chosen = view.spec.generation_params.crossfade_seconds
        crossfade = self.settings.crossfade_seconds if chosen is None else chosen
        return plan_segments(timeline, crossfade, seconds)

    async def join(
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
                SegmentJob(
                    story_id=view.story_id,
                    owner_id=view.owner_id or "",
                    attempt_id=attempt.id,
                    index=segment.index,
                )
            )
        audio = None
        if has_sound(cut.scenes, cut.out.music):
            await run_ffmpeg(audio_args(cut.scenes, "audio.m4a", cut.out.music), cwd=folder)
            audio = "audio.m4a"
        keys = [segment_key(view.story_id, attempt.id, s.index) for s in segments]
        deadline = time.monotonic() + self.settings.segment_wait_seconds
        waiting = list(keys)
        while waiting:
            for key in list(waiting):  # only what is still missing is looked at again
                if await self.storage.exists(key):
                    waiting.remove(key)
                elif await self.storage.exists(failure_key(key)):
                    reason = (await self.storage.get_bytes(failure_key(key))).decode()
                    raise MediaError(f"segment {key.rsplit('/', 1)[-1]} failed: {reason}")
            await progress(0.95 * (len(keys) - len(waiting)) / len(keys))
            if waiting and time.monotonic() > deadline:
                raise MediaError(f"{len(waiting)} segments were not rendered in time")
            if waiting:
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

    async def render(self, queued: SegmentJob) -> None:
        """Render one segment of a final (unless it is rendered already, or the attempt is
        gone) and store it for the replica that joins them."""
        view = await self.stories.view(queued.story_id)
        attempt = composable(view)
        if attempt is None or attempt.id != queued.attempt_id or attempt.stage != Stage.RENDER:
            return
        key = segment_key(view.story_id, attempt.id, queued.index)
        if await self.storage.exists(key):
            return
        segment = self.plan(view)[queued.index]
        with tempfile.TemporaryDirectory(prefix="segment-") as name:
            folder = Path(name)
            cut = await self.preparer.prepare(
                view, attempt, folder, range(segment.first, segment.last + 1)
            )
            out = cut.out
            if out.subtitles:
                shifted = _within(cut.cues, segment.start, segment.end)
                (folder / "segment.ass").write_text(ass(shifted, cut.layout), encoding="utf-8")
                out = replace(out, subtitles="segment.ass")
            await self.encoders.render(
                lambda encoder: segment_args(
                    cut.scenes, encoded(out, encoder), segment, "segment.mp4"
                ),
                cwd=folder,
                niceness=BATCH_NICENESS,
            )
            await self.storage.put_file(key, folder / "segment.mp4", "video/mp4")

    async def failed(self, queued: SegmentJob, error: BaseException) -> None:
        """Tell the joining replica that a segment gave up (it fails the attempt)."""
        key = failure_key(segment_key(queued.story_id, queued.attempt_id, queued.index))
        await self.storage.put_bytes(key, str(error)[:1000].encode(), "text/plain")
