"""Take the final master to the story's resolution and frame rate, and stream it.

A master already at the target is the final video (no second lossy encode). Otherwise it is
scaled (Lanczos, or a super-resolution provider when one is configured) and, when the target
rate is higher, frame-interpolated (blend by default, motion-compensated on request), then
encoded once and stored. Either way an HLS ladder is made from the final (its own picture
copied, 1080p/720p/480p below it where the final is larger: :mod:`vp_runtime.media.hls`) so a
browser plays it without downloading it; ``completed`` records the result.
"""

from __future__ import annotations

import asyncio
import logging
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from prometheus_client import Counter
from vp_contracts.envelope import RecordedEvent
from vp_contracts.events import story as e
from vp_contracts.events.base import Event
from vp_contracts.ids import stage_job_id
from vp_contracts.story import commands as c
from vp_contracts.story.rules import final_profile
from vp_contracts.story.view import StoryView
from vp_contracts.values import JobKind, MediaOutput, RenderProfile, Stage, StoryStatus
from vp_runtime.budget import BudgetReached, Budgets, Spender, story_spender
from vp_runtime.media import BATCH_NICENESS, MediaError, hls, probe, thumbnail
from vp_runtime.media.encoders import SOFTWARE, Encoder, Encoders
from vp_runtime.observability.metrics import timed_generation
from vp_runtime.providers.base import Capability, UpscaleRequest
from vp_runtime.providers.router import Call, Ledger, ProviderRouter
from vp_runtime.stage import Job, Worker
from vp_runtime.storage import Storage

from vp_upscaler.settings import UpscalerSettings

log = logging.getLogger(__name__)


def at_target(media: MediaOutput, target: RenderProfile) -> bool:
    return (media.width, media.height) == (target.width, target.height) and round(
        media.fps
    ) == target.fps


def filters(source: MediaOutput, target: RenderProfile, interpolation: str) -> str:
    """The ffmpeg video filter taking ``source`` to ``target``."""
    steps = []
    if (source.width, source.height) != (target.width, target.height):
        steps.append(f"scale={target.width}:{target.height}:flags=lanczos")
    if target.fps > round(source.fps):
        # Interpolation has nothing after the last frame: hold it a little (the encode cuts at
        # the planned length), or the video would end a few frames early.
        steps.append("tpad=stop_mode=clone:stop_duration=0.1")
        if interpolation == "mci":
            steps.append(
                f"minterpolate=fps={target.fps}:mi_mode=mci:mc_mode=aobmc:me_mode=bidir:vsbmc=1"
            )
        else:
            steps.append(f"minterpolate=fps={target.fps}:mi_mode=blend")
    elif target.fps < round(source.fps):
        steps.append(f"fps={target.fps}")
    steps.append("setsar=1")
    return ",".join(steps)


@dataclass
class Finisher:
    worker: Worker
    storage: Storage
    router: ProviderRouter | None
    settings: UpscalerSettings
    budgets: Budgets | None = None
    """A paid super-resolution is charged to the story's budgets first (None: uncapped)."""
    encoders: Encoders = field(default_factory=lambda: Encoders([SOFTWARE]))
    """The H.264 encoder (hardware when the process found one), libx264 when it fails."""
    ladder: hls.WriteLadder = hls.write_ladder
    """Writes a final's HLS renditions and master playlist into a folder."""

    async def on_final_composed(
        self, recorded: RecordedEvent[Event], delivery_attempt: int, trigger: int
    ) -> None:
        event = recorded.event
        assert isinstance(event, e.FinalComposed)
        view = await self.worker.log.view(event.story_id)
        if view.final is not None:  # completed; streamed too, unless a worker died before
            if _unstreamed(view, event.attempt_id):
                with tempfile.TemporaryDirectory(prefix="stream-") as name:
                    final = Path(name) / "final.mp4"
                    await self._stream(self._job(event), event, view.final.video_key, final)
            return
        if not view.is_current(event.attempt_id, Stage.RENDER) or view.spec is None:
            return
        job = self._job(event)
        if not await job.claim(delivery_attempt, trigger):
            return
        target = final_profile(view.spec)
        interpolation = view.spec.generation_params.interpolation or self.settings.interpolation
        upscaled = not at_target(event.media, target)
        spender = (
            story_spender(self.budgets, view, self.settings.budget_timezone, job.worker.clock)
            if self.budgets is not None and upscaled
            else None
        )
        with tempfile.TemporaryDirectory(prefix="upscale-") as name:
            final = Path(name) / "final.mp4"
            if upscaled:
                try:
                    with timed_generation("upscale"):
                        media = await self._finish(
                            job, event, target, interpolation, spender, final
                        )
                except BudgetReached as reached:
                    await self._failed(event, "budget_reached", f"budget reached: {reached}")
                    return
            else:
                media = event.media
            done = c.RecordRenderCompleted(
                story_id=event.story_id, attempt_id=event.attempt_id, media=media, upscaled=upscaled
            )
            await job.execute(done, "completed")
            await job.tick(100, "the final video is ready")
            await self._stream(job, event, media.video_key, final)

    def _job(self, event: e.FinalComposed) -> Job:
        return self.worker.job(
            event.story_id,
            event.attempt_id,
            JobKind.UPSCALE,
            stage_job_id(event.attempt_id, "upscale"),
        )

    async def _finish(
        self,
        job: Job,
        event: e.FinalComposed,
        target: RenderProfile,
        interpolation: str,
        spender: Spender | None,
        final: Path,
    ) -> MediaOutput:
        """Scale (and interpolate) the master into ``final``, stored with its thumbnail."""
        master, folder = event.media, final.parent
        source = folder / "master.mp4"
        await self.storage.download(master.video_key, source)
        source = await self._super_resolution(job, source, master, target, folder, spender)

        async def progress(share: float) -> None:
            await job.tick(5 + 65 * share, f"finishing at {target.height}p{target.fps}")

        rest = ["-c:a", "copy", "-t", f"{master.duration_seconds:.3f}"]

        def args(encoder: Encoder) -> list[str]:
            picture = filters(master, target, interpolation) + encoder.upload
            codec = encoder.args(self.settings.final_preset, self.settings.final_crf)
            return [
                *(*encoder.device, "-i", str(source)),
                *("-vf", picture, "-r", str(target.fps), *codec),
                *(*hls.keyframes_every(hls.SEGMENT_SECONDS), *rest),
                *("-movflags", "+faststart", str(final)),
            ]

        await self.encoders.render(
            args,
            duration=master.duration_seconds,
            on_progress=progress,
            niceness=BATCH_NICENESS,  # finals only: a preview elsewhere goes first
        )
        facts = await probe(final)
        if (facts.width, facts.height) != (target.width, target.height):
            raise MediaError(
                f"the final video is {facts.width}x{facts.height}, not {target.width}x{target.height}"
            )
        cover = folder / "final.jpg"
        await thumbnail(final, cover, at_seconds=min(master.duration_seconds / 2, 3.5))
        base = f"stories/{event.story_id}/{event.attempt_id}/final"
        await self.storage.put_file(f"{base}.mp4", final, "video/mp4")
        await self.storage.put_file(f"{base}.jpg", cover, "image/jpeg")
        return MediaOutput(
            video_key=f"{base}.mp4",
            thumbnail_key=f"{base}.jpg",
            subtitles_key=master.subtitles_key,
            srt_key=master.srt_key,
            duration_seconds=round(facts.duration, 3),
            width=target.width,
            height=target.height,
            fps=facts.fps or target.fps,
            size_bytes=facts.size,
        )

    async def _stream(self, job: Job, event: e.FinalComposed, key: str, final: Path) -> None:
        """The HLS ladder of the completed final (stored under ``key``, fetched into ``final``
        unless it is there), stored under the attempt's ``hls/`` (media first, the master
        playlist last), then ``final_streamed``."""
        if not await asyncio.to_thread(final.exists):
            await self.storage.download(key, final)
        folder = final.parent / "hls"
        folder.mkdir(exist_ok=True)
        with timed_generation("stream"):
            await self.ladder(
                final,
                folder,
                self.encoders,
                preset=self.settings.ladder_preset,
                crf=self.settings.final_crf,
            )
        base = f"stories/{event.story_id}/{event.attempt_id}/hls"
        for group in hls.files(folder):  # a playlist is stored only once what it names is
            await asyncio.gather(
                *(
                    self.storage.put_file(
                        f"{base}/{path.relative_to(folder).as_posix()}",
                        path,
                        hls.CONTENT_TYPES[path.suffix],
                    )
                    for path in group
                )
            )
        streamed = c.RecordFinalStreamed(
            story_id=event.story_id, attempt_id=event.attempt_id, hls_key=f"{base}/{hls.MASTER}"
        )
        await job.execute(streamed, "streamed")
        await job.tick(100, "the final streams (HLS)")

    async def _super_resolution(
        self,
        job: Job,
        source: Path,
        master: MediaOutput,
        target: RenderProfile,
        folder: Path,
        spender: Spender | None,
    ) -> Path:
        """A provider's super-resolution of the master, when one is configured and needed."""
        if (
            self.router is None
            or not self.router.chain(Capability.UPSCALE)
            or target.height <= master.height
        ):
            return source
        await job.tick(3, "super-resolution")
        data = await asyncio.to_thread(source.read_bytes)
        request = UpscaleRequest(image=data, scale=2, content_type="video/mp4")
        produced = await self.router.produce(
            Capability.UPSCALE, lambda provider: request, _ledger(job), spender=spender
        )
        upscaled = folder / "upscaled.mp4"
        await self.storage.download(produced.key, upscaled)
        return upscaled

    async def fail(self, recorded: RecordedEvent[Event], error: BaseException) -> None:
        event = recorded.event
        assert isinstance(event, e.FinalComposed)
        view = await self.worker.log.view(event.story_id)
        if _unstreamed(view, event.attempt_id):  # the video is there; only its streams failed
            log.error("the final of %s has no HLS renditions: %s", event.story_id, error)
            STREAMING_FAILURES.inc()
            return
        await self._failed(
            event, "upscale_failed", f"the final video could not be finished: {error}"
        )

    async def _failed(self, event: e.FinalComposed, code: str, reason: str) -> None:
        command = c.RecordStageFailure(
            story_id=event.story_id,
            attempt_id=event.attempt_id,
            stage=Stage.RENDER,
            code=code,
            reason=reason[:2000],
        )
        await self._job(event).execute(command, "failed")


STREAMING_FAILURES = Counter(
    "final_streaming_failures_total",
    "Completed finals whose HLS renditions could not be made (the MP4 is there)",
)


def _unstreamed(view: StoryView, attempt_id: str) -> bool:
    """Whether the completed final of ``attempt_id`` has no HLS renditions yet."""
    return (
        view.status == StoryStatus.COMPLETED
        and view.final is not None
        and view.final.hls_key is None
        and view.attempt is not None
        and view.attempt.id == attempt_id
    )


def _ledger(job: Job) -> Ledger:
    async def record(call: Call) -> None:
        await job.record(job.cost(call), f"cost-{call.call_key}-{call.try_number}-{call.cache_hit}")

    return record
