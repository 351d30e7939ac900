"""Reading a finished video as a viewer would: its WebVTT cues, and the subtitles burned into
a frame (tesseract)."""

from __future__ import annotations

import difflib
import io
import re
import subprocess
from pathlib import Path

import numpy as np
from PIL import Image
from vp_runtime.media import ffmpeg_binary

SPEECH_DB = -32.0
"""Mean loudness a spoken line is above (silence is below -60 dB, espeak speaks near -20)."""
READ_BACK = 0.6
"""Share of a cue's letters OCR must find again in the frame."""


def vtt_cues(vtt: str) -> list[tuple[float, float, str]]:
    def seconds(stamp: str) -> float:
        hours, minutes, rest = stamp.split(":")
        return int(hours) * 3600 + int(minutes) * 60 + float(rest)

    cues = []
    blocks = vtt.split("\n\n")
    for block in blocks:
        lines = block.strip().splitlines()
        for index, line in enumerate(lines):
            if "-->" in line:
                start, end = (part.strip() for part in line.split("-->"))
                cues.append((seconds(start), seconds(end), "\n".join(lines[index + 1 :])))
    return cues


def frame(video: Path, at: float) -> np.ndarray:
    """The RGB frame shown at ``at`` seconds (rows, columns, channels; ints)."""
    png = subprocess.run(
        [
            *(ffmpeg_binary(), "-v", "error", "-ss", f"{at:.3f}", "-i", str(video)),
            *("-frames:v", "1", "-f", "image2pipe", "-vcodec", "png", "-"),
        ],
        capture_output=True,
        check=True,
    ).stdout
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(int)


def srt_as_vtt(subrip: str) -> str:
    """SubRip's timings with WebVTT's decimal point (text untouched), for :func:`vtt_cues`."""
    return re.sub(r"(\d\d:\d\d:\d\d),(\d{3})", r"\1.\2", subrip)


def read_frame(video: Path, at: float, languages: str, folder: Path) -> str:
    """The text burned into the frame at ``at``: the subtitle band, cropped, enlarged, grey,
    white letters kept (PITFALLS: this is what tesseract reads best)."""
    image = folder / f"frame-{at:.2f}.png"
    subprocess.run(
        [
            ffmpeg_binary(),
            "-loglevel",
            "error",
            "-y",
            "-ss",
            f"{at:.3f}",
            "-i",
            str(video),
            "-frames:v",
            "1",
            "-vf",
            "crop=iw:ih*0.32:0:ih*0.68,scale=iw*3:-1:flags=lanczos,format=gray,"
            "lut=y='if(gt(val\\,200)\\,0\\,255)'",
            str(image),
        ],
        check=True,
    )
    return subprocess.run(
        ["tesseract", str(image), "-", "-l", languages, "--psm", "6"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout


def letters(text: str) -> str:
    return re.sub(r"[\W_]+", "", text).lower()


def found(expected: str, read: str) -> float:
    """Share of the expected letters found, in order, in what OCR read."""
    want, got = letters(expected), letters(read)
    matcher = difflib.SequenceMatcher(None, want, got, autojunk=False)
    return sum(block.size for block in matcher.get_matching_blocks()) / max(1, len(want))
