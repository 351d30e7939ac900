"""Offline narration: a neural voice shipped inside the ``hibari-tts`` wheel, espeak-ng as the
fallback. Sentences are synthesised one by one, so every subtitle cue starts and ends exactly
where its sentence does. The audio is normalised (the model speaks quietly).
"""

from __future__ import annotations

import io
import logging
import re
import shutil
import subprocess
import tempfile
import threading
import wave
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from vp_contracts.values import SubtitleCue

log = logging.getLogger(__name__)

SAMPLE_RATE = 24_000
GAP_SECONDS = 0.25
LEAD_IN_SECONDS = 0.2
PEAK = 0.89
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=\S)")


@dataclass(frozen=True)
class Narration:
    wav: bytes
    seconds: float
    cues: tuple[SubtitleCue, ...]
    engine: str


def sentences(text: str) -> list[str]:
    return [part.strip() for part in _SENTENCE.split(text.strip()) if part.strip()]


class Narrator:
    """Thread-safe: the model loads once and synthesis runs in worker threads."""

    def __init__(self, voice: str = "heart", engine: str = "auto") -> None:
        self.voice = voice
        self.engine = engine
        self._model: Any = None
        self._lock = threading.Lock()

    @property
    def name(self) -> str:
        """Engine and voice, part of the cache key of every narration."""
        return f"{self._engine()}:{self.voice}"

    def _engine(self) -> str:
        if self.engine != "auto":
            return self.engine
        try:
            import hibari  # noqa: F401

            return "hibari"
        except ImportError:
            return "espeak"

    def synthesize(self, text: str, speed: float = 1.0, seed: int = 0) -> Narration:
        """Speak ``text``; cues are relative to the start of the audio."""
        parts = sentences(text)
        engine = self._engine()
        chunks = [
            self._hibari(part, speed, seed) if engine == "hibari" else self._espeak(part, speed)
            for part in parts
        ]
        gap = np.zeros(int(GAP_SECONDS * SAMPLE_RATE), np.float32)
        audio: list[np.ndarray] = [np.zeros(int(LEAD_IN_SECONDS * SAMPLE_RATE), np.float32)]
        cues = []
        cursor = LEAD_IN_SECONDS
        for part, chunk in zip(parts, chunks, strict=True):
            length = len(chunk) / SAMPLE_RATE
            cues.append(
                SubtitleCue(
                    start_seconds=round(cursor, 3), end_seconds=round(cursor + length, 3), text=part
                )
            )
            audio += [chunk, gap]
            cursor += length + GAP_SECONDS
        samples = _normalise(np.concatenate(audio))
        return Narration(_wav(samples), round(len(samples) / SAMPLE_RATE, 3), tuple(cues), engine)

    def _hibari(self, sentence: str, speed: float, seed: int) -> np.ndarray:
        with self._lock:
            if self._model is None:
                from hibari import Hibari

                self._model = Hibari(voice=self.voice)
            model = self._model
        return np.asarray(model(sentence, speed=speed, seed=seed), np.float32)

    def _espeak(self, sentence: str, speed: float) -> np.ndarray:
        binary = shutil.which("espeak-ng") or shutil.which("espeak")
        if binary is None:
            raise RuntimeError("no speech engine: install espeak-ng, or the hibari-tts package")
        with tempfile.TemporaryDirectory() as folder:
            out = Path(folder) / "s.wav"
            subprocess.run(
                [binary, "-v", "en-us", "-s", str(int(165 * speed)), "-w", str(out), sentence],
                check=True,
                capture_output=True,
            )
            return _read_wav(out.read_bytes())


def _normalise(samples: np.ndarray) -> np.ndarray:
    peak = float(np.abs(samples).max()) if samples.size else 0.0
    return samples * (PEAK / peak) if peak > 1e-4 else samples


def _wav(samples: np.ndarray) -> bytes:
    pcm = (np.clip(samples, -1, 1) * 32767).astype("<i2")
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(SAMPLE_RATE)
        out.writeframes(pcm.tobytes())
    return buffer.getvalue()


def _read_wav(data: bytes) -> np.ndarray:
    with wave.open(io.BytesIO(data)) as source:
        rate, frames = source.getframerate(), source.readframes(source.getnframes())
    samples = np.frombuffer(frames, "<i2").astype(np.float32) / 32768
    if rate == SAMPLE_RATE:
        return samples
    positions = np.linspace(0, len(samples) - 1, int(len(samples) * SAMPLE_RATE / rate))
    return np.interp(positions, np.arange(len(samples)), samples).astype(np.float32)
