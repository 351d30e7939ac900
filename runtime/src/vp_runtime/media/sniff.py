"""What a file is, from its first bytes (never from its name or a declared type): pictures,
clips and sounds a creator may upload, with the sizes and lengths their headers give."""

from __future__ import annotations

import io
import wave
from dataclasses import dataclass

SNIFF_BYTES = 64 * 1024
"""How much of a file is read to tell what it is (a WAV's header, an image's size)."""
IMAGES = frozenset({"image/png", "image/jpeg", "image/webp"})
CLIPS = frozenset({"video/mp4", "video/webm", "video/quicktime"})
SOUNDS = frozenset({"audio/wav", "audio/mpeg", "audio/flac", "audio/ogg", "audio/mp4"})
EXTENSIONS = {
    "image/png": "png",
    "image/jpeg": "jpg",
    "image/webp": "webp",
    "video/mp4": "mp4",
    "video/webm": "webm",
    "video/quicktime": "mov",
    "audio/wav": "wav",
    "audio/mpeg": "mp3",
    "audio/flac": "flac",
    "audio/ogg": "ogg",
    "audio/mp4": "m4a",
}


@dataclass(frozen=True)
class Sniffed:
    """What a file's first bytes say it is."""

    content_type: str
    width: int | None = None
    height: int | None = None
    duration_seconds: float | None = None


class Unrecognised(ValueError):
    """The content is none of the types accepted."""


def sniff(head: bytes) -> Sniffed:
    """The type (and size or length where the header says) of a file from its first bytes."""
    if head.startswith(b"\x89PNG\r\n\x1a\n") and head[12:16] == b"IHDR":
        width, height = int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big")
        return Sniffed("image/png", width, height)
    if head.startswith(b"\xff\xd8\xff"):
        return Sniffed("image/jpeg", *_jpeg_size(head))
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return Sniffed("image/webp")
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return Sniffed("audio/wav", duration_seconds=_wav_seconds(head))
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in (b"M4A ", b"M4B "):
            return Sniffed("audio/mp4")
        return Sniffed("video/quicktime" if brand == b"qt  " else "video/mp4")
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return Sniffed("video/webm")
    if head.startswith(b"ID3") or (len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0):
        return Sniffed("audio/mpeg")
    if head.startswith(b"fLaC"):
        return Sniffed("audio/flac")
    if head.startswith(b"OggS"):
        return Sniffed("audio/ogg")
    raise Unrecognised(_looks_like(head))


def _jpeg_size(head: bytes) -> tuple[int | None, int | None]:
    """Width and height from the first start-of-frame marker, if within ``head``."""
    at = 2
    while at + 9 < len(head) and head[at] == 0xFF:
        marker, length = head[at + 1], int.from_bytes(head[at + 2 : at + 4], "big")
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            height = int.from_bytes(head[at + 5 : at + 7], "big")
            return int.from_bytes(head[at + 7 : at + 9], "big"), height
        at += 2 + length
    return None, None


def _wav_seconds(head: bytes) -> float | None:
    try:
        with wave.open(io.BytesIO(head)) as audio:
            rate, frames = audio.getframerate(), audio.getnframes()
    except (wave.Error, EOFError):
        return None
    # getnframes reads the header's data size: right even though only the head is here.
    return round(frames / rate, 3) if rate else None


def _looks_like(head: bytes) -> str:
    if not head:
        return "the file is empty"
    if all(32 <= byte < 127 or byte in b"\t\r\n" for byte in head[:512]):
        return "the file is text, not a picture, a video or a sound"
    return "the file is not a PNG, JPEG or WebP picture, an MP4 or WebM video, nor a WAV, MP3, FLAC, Ogg or M4A sound"
