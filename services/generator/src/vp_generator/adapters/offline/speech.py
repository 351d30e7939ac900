"""Offline voices, no network and no cost: a neural American English voice shipped inside the
``hibari-tts`` wheel, and espeak-ng for Korean, Japanese, Chinese and about a hundred other
languages (robotic, but real speech). One sentence per call; the output passes the same speech
check as every cloud voice (a voice that cannot say the language is refused, never silent)."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import threading
from pathlib import Path
from typing import Any

import numpy as np
from vp_contracts.language import primary
from vp_runtime.providers.base import CannotSpeak, SpeechRequest, Voice
from vp_runtime.providers.speech import check_speech, write_wav
from vp_runtime.providers.voices import HIBARI_VOICE, offline_voices

HIBARI_RATE = 24_000
ESPEAK_WORDS_PER_MINUTE = 165


class OfflineVoices:
    """Speaks one sentence; thread-safe (the neural model loads once)."""

    def __init__(self, provider: str, default_engine: str = "auto") -> None:
        self.provider = provider
        self._engine = default_engine
        self._model: Any = None
        self._lock = threading.Lock()

    @property
    def neural_english(self) -> bool:
        if self._engine == "espeak":
            return False
        try:
            import hibari  # noqa: F401
        except ImportError:
            return False
        return True

    def voices(self, language: str | None) -> list[Voice]:
        return offline_voices(self.provider, language, self.neural_english)

    def pick(self, request: SpeechRequest) -> str:
        """The voice name for the request: the one asked for, else the best for its language."""
        asked = request.voice
        if asked in ("heart", "hibari"):  # the names this setting took before there were others
            asked = HIBARI_VOICE
        if asked and (asked == HIBARI_VOICE or asked.startswith("espeak-")):
            return asked
        return self.voices(request.language)[0].name

    def speak(self, request: SpeechRequest) -> bytes:
        """WAV of the sentence, checked to be speech of it."""
        name = self.pick(request)
        if name == HIBARI_VOICE:
            if primary(request.language) != "en":
                raise CannotSpeak(
                    f"{self.provider}:{HIBARI_VOICE} speaks English only, not"
                    f" '{primary(request.language)}'"
                )
            data = write_wav(self._hibari(request), HIBARI_RATE)
        else:
            data = self._espeak(name.removeprefix("espeak-"), request)
        check_speech(data, request.text, request.language, f"{self.provider}:{name}")
        return data

    def _hibari(self, request: SpeechRequest) -> np.ndarray:
        with self._lock:
            if self._model is None:
                from hibari import Hibari

                self._model = Hibari(voice="heart")
            model = self._model
        samples = np.asarray(
            model(request.text, speed=request.speed, seed=request.seed), np.float32
        )
        peak = float(np.abs(samples).max()) if samples.size else 0.0
        return samples * (0.89 / peak) if peak > 1e-4 else samples  # the model speaks quietly

    def _espeak(self, voice: str, request: SpeechRequest) -> bytes:
        binary = shutil.which("espeak-ng") or shutil.which("espeak")
        if binary is None:
            raise CannotSpeak("no offline voice: install espeak-ng (make install does)")
        with tempfile.TemporaryDirectory() as folder:
            out = Path(folder) / "sentence.wav"
            speed = str(round(ESPEAK_WORDS_PER_MINUTE * request.speed))
            done = subprocess.run(
                [binary, "-v", voice, "-s", speed, "-w", str(out), request.text],
                capture_output=True,
                text=True,
            )
            if done.returncode != 0 or not out.exists():
                raise CannotSpeak(
                    f"{self.provider} has no voice for language '{primary(request.language)}'"
                    f" (espeak-ng: {done.stderr.strip()[:200] or done.returncode})"
                )
            return out.read_bytes()
