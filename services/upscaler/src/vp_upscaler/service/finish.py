"""Take the final master to the story's resolution and frame rate.

A master already at the target is the final video (no second lossy encode). Otherwise it is
scaled (Lanczos, or a super-resolution provider when one is configured) and, when the target
rate is higher, frame-interpolated (blend by default, motion-compensated on request), then
encoded once and stored; ``completed`` records the result.
"""

from __future__ import annotations

import asyncio
import logging
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from vp_contracts.envelope import RecordedEvent
from vp_contracts.events import jobs as j
from vp_contracts.events import story as e
from vp_contracts.events.base import Event
from vp_contracts.ids import derived_id, stage_job_id
from vp_contracts.story import commands as c
from vp_contracts.story.rules import final_profile
from vp_contracts.values import JobKind, MediaOutput, RenderProfile, Stage
from vp_runtime.eventstore import EventMeta, EventStore
from vp_runtime.media import MediaError, probe, run_ffmpeg, thumbnail
from vp_runtime.messaging.progress import Progress
from vp_runtime.observability.metrics import timed_generation
from vp_runtime.providers.base import Capability, UpscaleRequest
from vp_runtime.providers.router import Call, Ledger, ProviderRouter
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
    store: EventStore
    storage: Storage
    router: ProviderRouter | None
    progress: Progress
    settings: UpscalerSettings
    worker: str

    async def on_final_composed(
        self, recorded: RecordedEvent[Event], delivery_attempt: int, trigger: int
    ) -> None:
        event = recorded.event
        assert isinstance(event, e.FinalComposed)
        view = await self.store.view(event.story_id)
        if (
            not view.is_current(event.attempt_id, Stage.RENDER)
            or view.final is not None
            or view.spec is None
        ):
            return
        job_id = stage_job_id(event.attempt_id, "upscale")
        started = j.JobStarted(
            story_id=event.story_id,
            job_id=job_id,
            kind=JobKind.UPSCALE,
            attempt_id=event.attempt_id,
            worker=self.worker,
            attempt=delivery_attempt,
        )
        claim = c.ClaimJob(story_id=event.story_id, started=started, takeover=delivery_attempt > 1)
        if not (
            await self.store.execute(
                claim, self._meta(event, f"claim-{trigger}-{delivery_attempt}")
            )
        ).events:
            return
        target = final_profile(view.spec)
        interpolation = view.spec.generation_params.interpolation or self.settings.interpolation
        if at_target(event.media, target):
            media, upscaled = event.media, False
        else:
            with timed_generation("upscale"):
                media, upscaled = await self._finish(event, target, interpolation), True
        done = c.RecordRenderCompleted(
            story_id=event.story_id, attempt_id=event.attempt_id, media=media, upscaled=upscaled
        )
        await self.store.execute(done, self._meta(event, "completed"))
        await self._tick(event, 100, "the final video is ready")

    async def _finish(
        self, event: e.FinalComposed, target: RenderProfile, interpolation: str
    ) -> MediaOutput:
        master = event.media
        with tempfile.TemporaryDirectory(prefix="upscale-") as name:
            folder = Path(name)
            source = folder / "master.mp4"
            await self.storage.download(master.video_key, source)
            source = await self._super_resolution(event, source, master, target, folder)
            final = folder / "final.mp4"

            async def progress(share: float) -> None:
                await self._tick(
                    event, 5 + 90 * share, f"finishing at {target.height}p{target.fps}"
                )

            video = ["-vf", filters(master, target, interpolation), "-r", str(target.fps)]
            codec = ["-c:v", "libx264", "-preset", self.settings.final_preset]
            quality = ["-crf", str(self.settings.final_crf), "-pix_fmt", "yuv420p"]
            rest = [
                "-c:a",
                "copy",
                "-t",
                f"{master.duration_seconds:.3f}",
                "-movflags",
                "+faststart",
            ]
            args = ["-i", str(source), *video, *codec, *quality, *rest, str(final)]
            await run_ffmpeg(
                args,
                duration=master.duration_seconds,
                on_progress=progress,
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
                duration_seconds=round(facts.duration, 3),
                width=target.width,
                height=target.height,
                fps=facts.fps or target.fps,
                size_bytes=facts.size,
            )

    async def _super_resolution(
        self,
        event: e.FinalComposed,
        source: Path,
        master: MediaOutput,
        target: RenderProfile,
        folder: Path,
    ) -> Path:
        """A provider's super-resolution of the master, when one is configured and needed."""
        if (
            self.router is None
            or not self.router.chain(Capability.UPSCALE)
            or target.height <= master.height
        ):
            return source
        await self._tick(event, 3, "super-resolution")
        data = await asyncio.to_thread(source.read_bytes)
        request = UpscaleRequest(image=data, scale=2, content_type="video/mp4")
        produced = await self.router.produce(
            Capability.UPSCALE, lambda provider: request, self._ledger(event)
        )
        upscaled = folder / "upscaled.mp4"
        await self.storage.download(produced.key, upscaled)
        return upscaled

    def _ledger(self, event: e.FinalComposed) -> Ledger:
        async def record(call: Call) -> None:
            fact = e.CostRecorded(
                story_id=event.story_id,
                attempt_id=event.attempt_id,
                job_id=stage_job_id(event.attempt_id, "upscale"),
                provider=call.provider,
                operation="upscale",
                units=call.units,
                amount=call.amount or Decimal(0),
                cache_hit=call.cache_hit,
                provider_job_id=call.provider_job_id,
                outcome=call.outcome[:500],
            )
            await self.store.execute(
                c.RecordFact(story_id=event.story_id, event=fact),
                self._meta(event, f"cost-{call.call_key}-{call.try_number}-{call.cache_hit}"),
            )

        return record

    async def fail(self, recorded: RecordedEvent[Event], error: BaseException) -> None:
        event = recorded.event
        assert isinstance(event, e.FinalComposed)
        command = c.RecordStageFailure(
            story_id=event.story_id,
            attempt_id=event.attempt_id,
            stage=Stage.RENDER,
            code="upscale_failed",
            reason=f"the final video could not be finished: {error}"[:2000],
        )
        await self.store.execute(command, self._meta(event, "failed"))

    def _meta(self, event: e.FinalComposed, what: str) -> EventMeta:
        return EventMeta(
            command_id=derived_id("upscaler", event.attempt_id, what),
            at=datetime.now(UTC),
            actor=self.worker,
            correlation_id=event.attempt_id,
            causation_id=event.attempt_id,
        )

    async def _tick(self, event: e.FinalComposed, percent: float, message: str) -> None:
        await self.progress.tick(
            event.story_id,
            event.attempt_id,
            "upscale",
            percent,
            message,
            stage_job_id(event.attempt_id, "upscale"),
        )
