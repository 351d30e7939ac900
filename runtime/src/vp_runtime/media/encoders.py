"""The H.264 encoder a process renders with: a hardware one (NVENC, Quick Sync, VAAPI) when the
machine has it, libx264 otherwise, and libx264 again whenever the hardware one fails.

At start-up each candidate encodes a few frames for real (an encoder compiled into ffmpeg says
nothing about a GPU, a driver or a device node being there); the first that works is used. A
run that fails with a hardware encoder is run again with libx264 and the process stays with it:
a missing or broken GPU driver costs speed, never a video.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from prometheus_client import Counter, Gauge

from vp_runtime.media.ffmpeg import MediaError, run_ffmpeg
from vp_runtime.web.health import describe

log = logging.getLogger(__name__)

ENCODER_IN_USE = Gauge(
    "video_encoder_in_use", "1 for the H.264 encoder this process renders with", ["encoder"]
)
ENCODER_FALLBACKS = Counter(
    "video_encoder_fallbacks_total",
    "Renders that failed with a hardware encoder and were done again with libx264",
    ["encoder"],
)


@dataclass(frozen=True)
class Encoder:
    """How ffmpeg is told to encode with one H.264 encoder at a given quality."""

    name: str
    device: tuple[str, ...] = ()
    """Global options before the inputs (the VAAPI device)."""
    upload: str = ""
    """Filters turning the last picture into the encoder's frames (VAAPI: upload to the GPU)."""

    @property
    def hardware(self) -> bool:
        return self.name != "libx264"

    def args(self, preset: str, crf: int) -> list[str]:
        """Codec and quality options: ``preset`` and ``crf`` as libx264 means them, mapped to
        the nearest of the hardware encoder's (constant quality, medium speed)."""
        if self.name == "h264_nvenc":
            quality = ["-preset", "p4", "-rc", "vbr", "-cq", str(crf), "-b:v", "0"]
            return ["-c:v", self.name, *quality, "-pix_fmt", "yuv420p"]
        if self.name == "h264_qsv":
            return ["-c:v", self.name, "-preset", "medium", "-global_quality", str(crf)]
        if self.name == "h264_vaapi":
            return ["-c:v", self.name, "-qp", str(crf)]
        return ["-c:v", self.name, "-preset", preset, "-crf", str(crf), "-pix_fmt", "yuv420p"]


SOFTWARE = Encoder("libx264")
KNOWN = {
    "h264_nvenc": Encoder("h264_nvenc"),
    "h264_qsv": Encoder("h264_qsv", upload=",format=nv12"),
    "h264_vaapi": Encoder(
        "h264_vaapi",
        device=("-vaapi_device", "/dev/dri/renderD128"),
        upload=",format=nv12,hwupload",
    ),
    "libx264": SOFTWARE,
}
AUTO = ("h264_nvenc", "h264_qsv", "h264_vaapi", "libx264")


def candidates(setting: str) -> list[Encoder]:
    """The encoders ``VP_VIDEO_ENCODERS`` names, in order (``auto``: every hardware one, then
    libx264), libx264 always last; ValueError naming the known ones for anything else."""
    names = AUTO if setting.strip() == "auto" else [n.strip() for n in setting.split(",") if n]
    unknown = [name for name in names if name not in KNOWN]
    if unknown:
        raise ValueError(
            f"VP_VIDEO_ENCODERS: unknown encoder(s) {', '.join(unknown)}; use 'auto' or some of"
            f" {', '.join(KNOWN)}"
        )
    chosen = [KNOWN[name] for name in names if name != "libx264"]
    return [*chosen, SOFTWARE]


Probe = Callable[[Encoder], Awaitable[None]]


async def encode_test(encoder: Encoder) -> None:
    """A quarter of a second of 320x240 encoded for real with ``encoder`` (MediaError if not)."""
    source = ["-f", "lavfi", "-i", "testsrc2=size=320x240:rate=24:duration=0.25"]
    picture = ["-vf", f"null{encoder.upload}"]
    await run_ffmpeg(
        [*encoder.device, *source, *picture, *encoder.args("fast", 23), "-f", "null", "-"]
    )


async def chosen(setting: str) -> Encoders:
    """The encoders of ``VP_VIDEO_ENCODERS``, probed, their choice on ``/readyz``."""
    encoders = Encoders(candidates(setting))
    await encoders.choose()
    describe("video", encoders.report)
    return encoders


class Encoders:
    """The encoder this process renders with, chosen by :meth:`choose`, given up by
    :meth:`render` when it fails."""

    def __init__(self, candidates: Sequence[Encoder], probe: Probe = encode_test) -> None:
        self._candidates = list(candidates)
        self._probe = probe
        self.current = SOFTWARE
        self.refused: dict[str, str] = {}
        """Encoders found not to work, with why (the start of ffmpeg's error)."""

    async def choose(self) -> Encoder:
        for encoder in self._candidates:
            if not encoder.hardware:
                break
            try:
                await self._probe(encoder)
            except MediaError as error:
                self.refused[encoder.name] = _reason(error)
                continue
            self._use(encoder)
            return encoder
        self._use(SOFTWARE)
        if self.refused:
            log.info(
                "rendering with libx264 (%s)",
                "; ".join(f"{k}: {v}" for k, v in self.refused.items()),
            )
        return SOFTWARE

    async def render(self, build: Callable[[Encoder], Sequence[str]], **options: Any) -> Encoder:
        """``run_ffmpeg(build(encoder), **options)`` with the current encoder; on a failure of a
        hardware one, again with libx264 (which the process keeps from then on). The encoder
        that made the output."""
        encoder = self.current
        try:
            await run_ffmpeg(build(encoder), **options)
            return encoder
        except MediaError as error:
            if not encoder.hardware:
                raise
            ENCODER_FALLBACKS.labels(encoder.name).inc()
            reason = self.refused[encoder.name] = _reason(error)
            log.warning("%s failed (%s): rendering with libx264 from now on", encoder.name, reason)
            self._use(SOFTWARE)
        await run_ffmpeg(build(SOFTWARE), **options)
        return SOFTWARE

    def report(self) -> dict[str, Any]:
        """What /readyz says about encoding."""
        return {"encoder": self.current.name, "refused": dict(self.refused)}

    def _use(self, encoder: Encoder) -> None:
        for known in KNOWN:
            ENCODER_IN_USE.labels(known).set(1 if known == encoder.name else 0)
        self.current = encoder


def _reason(error: MediaError) -> str:
    return " ".join(str(error).split())[:200]
