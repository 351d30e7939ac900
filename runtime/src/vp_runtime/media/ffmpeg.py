"""Running ffmpeg and ffprobe: progress read from ``-progress``, errors with ffmpeg's own
words, results probed rather than assumed."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import re
import shutil
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio

log = logging.getLogger(__name__)
OnProgress = Callable[[float], Awaitable[None]]

BATCH_NICENESS = 10
"""How much lower final renders run than previews on a shared machine (``nice``): a preview
composing beside a final gets the CPU first."""


class MediaError(RuntimeError):
    """ffmpeg or ffprobe failed; the message ends with what ffmpeg said."""


def ffmpeg_binary() -> str:
    return os.environ.get("VP_FFMPEG") or shutil.which("ffmpeg") or "ffmpeg"


def ffprobe_binary() -> str:
    return os.environ.get("VP_FFPROBE") or shutil.which("ffprobe") or "ffprobe"


async def run_ffmpeg(
    args: Sequence[str],
    *,
    duration: float | None = None,
    on_progress: OnProgress | None = None,
    cwd: Path | None = None,
    niceness: int = 0,
) -> None:
    """Run ``ffmpeg <args>``; ``on_progress`` gets 0..1 as the output advances; ``niceness``
    lowers its CPU priority (see :data:`BATCH_NICENESS`)."""
    command = [
        ffmpeg_binary(),
        "-hide_banner",
        "-nostdin",
        "-y",
        "-loglevel",
        "error",
        "-progress",
        "pipe:1",
        *args,
    ]
    process = await asyncio.create_subprocess_exec(
        *command, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, cwd=cwd
    )
    assert process.stdout is not None and process.stderr is not None
    if niceness:
        with contextlib.suppress(OSError):  # gone already: its exit code tells
            os.setpriority(os.PRIO_PROCESS, process.pid, niceness)
    errors = asyncio.create_task(process.stderr.read())
    try:
        async for line in process.stdout:
            key, _, value = line.decode(errors="replace").strip().partition("=")
            if key == "out_time_us" and duration and on_progress is not None and value.isdigit():
                await on_progress(min(1.0, int(value) / 1_000_000 / duration))
        code = await process.wait()
    except asyncio.CancelledError:
        process.kill()
        with anyio.CancelScope(shield=True):  # reap it even while being cancelled
            await process.wait()
        raise
    stderr = (await errors).decode(errors="replace").strip()
    if code != 0:
        raise MediaError(f"ffmpeg exited with {code}: {stderr[-1500:] or 'no message'}")


@dataclass(frozen=True)
class Probe:
    """What ffprobe says about a media file."""

    format_name: str
    duration: float
    size: int
    video_codec: str | None
    width: int | None
    height: int | None
    pixel_format: str | None
    fps: float | None
    frames: int | None
    audio_codec: str | None
    audio_channels: int | None
    raw: dict[str, Any]


async def probe(path: Path | str) -> Probe:
    """What ffprobe says about a file (or a URL ffmpeg reads: an HLS playlist's, say)."""
    process = await asyncio.create_subprocess_exec(
        ffprobe_binary(),
        "-v",
        "error",
        "-print_format",
        "json",
        "-show_format",
        "-show_streams",
        "-count_packets",
        str(path),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await process.communicate()
    if process.returncode != 0:
        raise MediaError(
            f"ffprobe could not read {path.name if isinstance(path, Path) else path}:"
            f" {err.decode(errors='replace').strip()[-500:]}"
        )
    data = json.loads(out)
    video = next((s for s in data.get("streams", []) if s.get("codec_type") == "video"), None)
    audio = next((s for s in data.get("streams", []) if s.get("codec_type") == "audio"), None)
    fmt = data.get("format", {})
    return Probe(
        format_name=str(fmt.get("format_name", "")),
        duration=float(fmt.get("duration", 0) or 0),
        size=int(fmt.get("size", 0) or 0),
        video_codec=video.get("codec_name") if video else None,
        width=int(video["width"]) if video else None,
        height=int(video["height"]) if video else None,
        pixel_format=video.get("pix_fmt") if video else None,
        fps=_rate(video.get("avg_frame_rate")) if video else None,
        frames=int(video["nb_read_packets"]) if video and video.get("nb_read_packets") else None,
        audio_codec=audio.get("codec_name") if audio else None,
        audio_channels=int(audio["channels"]) if audio and audio.get("channels") else None,
        raw=data,
    )


def _rate(value: str | None) -> float | None:
    if not value or value == "0/0":
        return None
    numerator, _, denominator = value.partition("/")
    return float(numerator) / float(denominator or 1)


async def thumbnail(video: Path, target: Path, at_seconds: float, max_width: int = 1280) -> None:
    """One JPEG frame of ``video`` at ``at_seconds`` (seeking, decoding one frame)."""
    await run_ffmpeg(
        [
            "-ss",
            f"{at_seconds:.3f}",
            "-i",
            str(video),
            "-frames:v",
            "1",
            "-vf",
            f"scale='min({max_width},iw)':-2:flags=lanczos",
            "-q:v",
            "3",
            str(target),
        ]
    )


@dataclass(frozen=True)
class Loudness:
    """ffmpeg's ``volumedetect`` over a stretch of audio, in dBFS."""

    mean_db: float
    max_db: float


async def loudness(path: Path, start: float = 0.0, seconds: float | None = None) -> Loudness:
    """How loud the audio of ``path`` is (all of it, or ``seconds`` from ``start``)."""
    window = ["-ss", f"{start:.3f}"] + (["-t", f"{seconds:.3f}"] if seconds else [])
    process = await asyncio.create_subprocess_exec(
        ffmpeg_binary(),
        "-hide_banner",
        "-nostdin",
        *window,
        "-i",
        str(path),
        "-vn",
        "-af",
        "volumedetect",
        "-f",
        "null",
        "-",
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    _, err = await process.communicate()
    text = err.decode(errors="replace")
    values = dict(re.findall(r"(mean_volume|max_volume): (-?[\d.]+|-inf) dB", text))
    if process.returncode != 0 or len(values) < 2:
        raise MediaError(f"could not measure the audio of {path.name}: {text.strip()[-300:]}")
    return Loudness(float(values["mean_volume"]), float(values["max_volume"]))
