"""What every voice's output must pass before it is used or cached: real speech, as long as
its text needs. A voice that cannot say a language often "succeeds" with silence or a blip
(English-only models given Hangul do): that is a :class:`CannotSpeak`, so the router tries
the next voice, and a story never comes out silent without an error.

Also the WAV helpers every speech adapter shares (16-bit mono PCM in and out).
"""

from __future__ import annotations

import io
import wave

import numpy as np
from vp_contracts.language import expected_seconds, primary

from vp_runtime.providers.base import CannotSpeak

SILENCE_PEAK = 0.02
"""Loudest sample below this (-34 dBFS) is silence, however long."""
QUIET_DBFS = -45.0
"""Loudness of the loudest tenth of a second below this is silence too."""
SHORTEST_SHARE = 0.3
"""Audio shorter than this share of what the text needs was not really spoken."""
MIN_SECONDS_FOR_CHECK = 0.6
"""Texts shorter to say than this are not held to the length rule (a word, a name)."""


def read_wav(data: bytes) -> tuple[np.ndarray, int]:
    """Samples in -1..1 (mono) and the sample rate of a 16-bit PCM WAV."""
    try:
        with wave.open(io.BytesIO(data)) as source:
            rate, channels, width = (
                source.getframerate(),
                source.getnchannels(),
                source.getsampwidth(),
            )
            frames = source.readframes(source.getnframes())
    except (wave.Error, EOFError) as error:
        raise CannotSpeak(f"the audio is not a readable WAV file ({error})") from error
    if width != 2:
        raise CannotSpeak(f"the audio has {8 * width}-bit samples, not 16-bit")
    samples = np.frombuffer(frames, "<i2").astype(np.float32) / 32768
    if channels > 1:
        samples = samples.reshape(-1, channels).mean(axis=1)
    return samples, rate


def resample(samples: np.ndarray, rate: int, target: int) -> np.ndarray:
    if rate == target or samples.size == 0:
        return samples
    positions = np.linspace(0, len(samples) - 1, int(len(samples) * target / rate))
    resampled: np.ndarray = np.interp(positions, np.arange(len(samples)), samples)
    return resampled.astype(np.float32)


def write_wav(samples: np.ndarray, rate: int) -> bytes:
    pcm = (np.clip(samples, -1, 1) * 32767).astype("<i2")
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(pcm.tobytes())
    return buffer.getvalue()


def loudest_dbfs(samples: np.ndarray, rate: int, window: float = 0.1) -> float:
    """RMS level of the loudest ``window`` of the audio, in dBFS."""
    size = max(1, int(rate * window))
    if samples.size < size:
        return float(20 * np.log10(np.sqrt(np.mean(samples**2)) + 1e-9)) if samples.size else -120.0
    usable = samples[: samples.size // size * size].reshape(-1, size)
    rms = np.sqrt(np.mean(usable**2, axis=1))
    return float(20 * np.log10(rms.max() + 1e-9))


def check_speech(data: bytes, text: str, language: str, voice: str) -> float:
    """Seconds of ``data`` if it is speech of ``text``; else :class:`CannotSpeak` saying why."""
    samples, rate = read_wav(data)
    seconds = samples.size / rate if rate else 0.0
    name = primary(language)
    if samples.size == 0 or float(np.abs(samples).max()) < SILENCE_PEAK:
        raise CannotSpeak(f"voice {voice} gave silence for language '{name}'")
    if loudest_dbfs(samples, rate) < QUIET_DBFS:
        raise CannotSpeak(f"voice {voice} gave silence for language '{name}'")
    needed = expected_seconds(text, language)
    if needed >= MIN_SECONDS_FOR_CHECK and seconds < SHORTEST_SHARE * needed:
        raise CannotSpeak(
            f"voice {voice} said {seconds:.1f}s of a text that needs about {needed:.0f}s in"
            f" '{name}': it does not speak the language"
        )
    return seconds
