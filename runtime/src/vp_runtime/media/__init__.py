"""ffmpeg and ffprobe, run as subprocesses: encode, probe, thumbnail, measure loudness."""

from vp_runtime.media.ffmpeg import (
    BATCH_NICENESS,
    Loudness,
    MediaError,
    Probe,
    ffmpeg_binary,
    ffprobe_binary,
    loudness,
    probe,
    run_ffmpeg,
    thumbnail,
)

__all__ = [
    "BATCH_NICENESS",
    "Loudness",
    "MediaError",
    "Probe",
    "ffmpeg_binary",
    "ffprobe_binary",
    "loudness",
    "probe",
    "run_ffmpeg",
    "thumbnail",
]
