"""The built-in music library, composed here (pure numpy, no samples, no downloads): royalty-free
by construction. Each track is a chord progression voiced by a few synthesised instruments
(soft pads, plucked arpeggios, a bass, light drums), rendered deterministically and made to
loop seamlessly (what rings past the end is folded back onto the start), so a video of any
length can loop it.
"""

from __future__ import annotations

import functools
import io
import wave
from dataclasses import dataclass

import numpy as np
from vp_contracts.values import MusicTrack

RATE = 48_000
A4 = 440.0
NOTE = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}
PEAK = 10 ** (-1 / 20)
"""Tracks peak at -1 dBFS; the story's volume sets how loud they are in the mix."""


@dataclass(frozen=True)
class Composition:
    """How one track goes: tempo, chords (one per bar, as MIDI note numbers), instruments."""

    bpm: float
    chords: tuple[tuple[int, ...], ...]
    pad: float
    arpeggio: float
    bass: float
    drums: float
    arpeggio_steps: int = 8
    """Arpeggio notes per bar (8: eighths, 16: sixteenths)."""
    brightness: float = 1.0

    @property
    def bar_seconds(self) -> float:
        return 4 * 60 / self.bpm


def _chord(name: str, octave: int = 4) -> tuple[int, ...]:
    """MIDI notes of a chord written as ``root:quality`` (``C:maj7``, ``A:m7``, ``D:m9``)."""
    root, quality = name.split(":")
    base = 12 * (octave + 1) + NOTE[root[0]] + (-1 if root.endswith("b") else 0)
    steps = {
        "maj": (0, 4, 7, 12),
        "min": (0, 3, 7, 12),
        "maj7": (0, 4, 7, 11),
        "m7": (0, 3, 7, 10),
        "m9": (0, 3, 7, 10, 14),
        "add9": (0, 4, 7, 14),
        "sus2": (0, 2, 7, 12),
    }[quality]
    return tuple(base + step for step in steps)


def _progression(*names: str) -> tuple[tuple[int, ...], ...]:
    return tuple(_chord(name) for name in names)


COMPOSITIONS = {
    MusicTrack.CALM: Composition(
        bpm=72,
        chords=_progression(
            "C:maj7", "A:m7", "F:maj7", "G:sus2", "C:maj7", "E:m7", "F:maj7", "G:add9"
        ),
        pad=0.55,
        arpeggio=0.35,
        bass=0.3,
        drums=0.0,
        brightness=0.8,
    ),
    MusicTrack.AMBIENT: Composition(
        bpm=60,
        chords=_progression(
            "D:m9", "Bb:maj7", "F:maj7", "C:add9", "D:m9", "G:m7", "Bb:maj7", "A:min"
        ),
        pad=0.8,
        arpeggio=0.15,
        bass=0.25,
        drums=0.0,
        arpeggio_steps=4,
        brightness=0.55,
    ),
    MusicTrack.UPBEAT: Composition(
        bpm=112,
        chords=_progression(
            "C:maj", "G:maj", "A:min", "F:maj", "C:maj", "G:maj", "F:maj", "G:sus2"
        ),
        pad=0.25,
        arpeggio=0.4,
        bass=0.5,
        drums=0.45,
        arpeggio_steps=16,
        brightness=1.2,
    ),
}


def _hz(note: float) -> float:
    return A4 * 2 ** ((note - 69) / 12)


@functools.lru_cache(maxsize=256)
def _tone(note: float, seconds: float, harmonics: float) -> np.ndarray:
    """A note with a few harmonics (``harmonics``: how bright), two detuned voices; its phases
    follow from the note, so the same note sounds the same (and is computed once)."""
    t = np.arange(int(seconds * RATE), dtype=np.float32) / np.float32(RATE)
    out = np.zeros_like(t)
    for detune in (-0.06, 0.06):
        f = _hz(note + detune)
        phase = (note * 0.618 + detune) % 1.0 * 2 * np.pi
        for k in range(1, 5):
            weight = np.float32(harmonics ** (k - 1) / k**1.5)
            out += weight * np.sin(np.float32(2 * np.pi * f * k) * t + np.float32(phase * k))
    out.flags.writeable = False
    return out


def _envelope(samples: int, attack: float, release: float) -> np.ndarray:
    """Rise over ``attack`` seconds, hold, fall over ``release`` seconds (linear in dB-ish)."""
    env = np.ones(samples)
    a, r = min(samples, int(attack * RATE)), min(samples, int(release * RATE))
    if a:
        env[:a] = np.linspace(0, 1, a) ** 2
    if r:
        env[samples - r :] *= np.linspace(1, 0, r) ** 2
    return env


def _pluck(note: float, seconds: float, brightness: float) -> np.ndarray:
    t = np.arange(int(seconds * RATE)) / RATE
    f = _hz(note)
    decay = np.exp(-t * 3.2)
    tone = sum(
        (0.55 * brightness) ** (k - 1) * np.sin(2 * np.pi * f * k * t) * np.exp(-t * k * 1.4)
        for k in range(1, 6)
    )
    return np.asarray(tone * decay * _envelope(t.size, 0.004, 0.05))


def _kick(seconds: float) -> np.ndarray:
    t = np.arange(int(seconds * RATE)) / RATE
    sweep = 2 * np.pi * (50 * t + 60 * (1 - np.exp(-t * 30)) / 30)
    return np.asarray(np.sin(sweep) * np.exp(-t * 9))


def _hat(seconds: float, rng: np.random.Generator) -> np.ndarray:
    noise = rng.standard_normal(int(seconds * RATE))
    bright = np.diff(noise, prepend=0.0)  # a first difference: the highs of the noise
    return np.asarray(bright * np.exp(-np.arange(noise.size) / RATE * 45) * 0.25)


def _place(track: np.ndarray, sound: np.ndarray, at: float, gain: float, pan: float) -> None:
    """Add ``sound`` into the stereo ``track`` at ``at`` seconds, wrapping past the end (the
    loop's tail rings on at its start)."""
    length = track.shape[0]
    stereo = np.outer(sound * gain, [np.cos((pan + 1) * np.pi / 4), np.sin((pan + 1) * np.pi / 4)])
    start = int(at * RATE) % length
    while stereo.shape[0]:
        fits = min(stereo.shape[0], length - start)
        track[start : start + fits] += stereo[:fits]
        stereo, start = stereo[fits:], 0


def compose(track: MusicTrack, rate: int = RATE) -> np.ndarray:
    """The whole loop of ``track`` as stereo float samples (-1..1) at ``rate``."""
    piece = COMPOSITIONS[track]
    rng = np.random.default_rng(list(MusicTrack).index(track) + 7)
    bar = piece.bar_seconds
    total = bar * len(piece.chords)
    out = np.zeros((int(total * RATE), 2))
    for number, chord in enumerate(piece.chords):
        start = number * bar
        if piece.pad:
            for voice, note in enumerate(chord):
                sound = _tone(note - 12, bar * 1.3, 0.35 * piece.brightness)
                sound = sound * _envelope(sound.size, bar * 0.35, bar * 0.5)
                _place(out, sound, start, piece.pad * 0.12, pan=(voice - 1.5) * 0.3)
        if piece.arpeggio:
            step = bar / piece.arpeggio_steps
            pattern = [0, 1, 2, 3, 2, 1, 3, 2] * 2
            for beat in range(piece.arpeggio_steps):
                note = chord[pattern[beat] % len(chord)] + 12 * (beat % 4 == 3)
                sound = _pluck(note, step * 3, piece.brightness)
                _place(out, sound, start + beat * step, piece.arpeggio * 0.2, pan=0.3)
        if piece.bass:
            for beat in (0, 2) if piece.drums else (0,):
                length = bar / 2 if piece.drums else bar
                sound = _tone(chord[0] - 24, length, 0.2) * _envelope(
                    int(length * RATE), 0.01, length * 0.4
                )
                _place(out, sound, start + beat * bar / 4, piece.bass * 0.35, pan=0.0)
        if piece.drums:
            for beat in range(4):
                _place(out, _kick(0.4), start + beat * bar / 4, piece.drums * 0.9, pan=0.0)
            for eighth in range(8):
                accent = 1.0 if eighth % 2 else 0.6
                at = start + eighth * bar / 8
                _place(out, _hat(0.08, rng), at, piece.drums * 0.5 * accent, pan=-0.2)
    out *= PEAK / max(1e-9, float(np.abs(out).max()))
    if rate != RATE:
        positions = np.arange(int(out.shape[0] * rate / RATE)) * RATE / rate
        out = np.stack(
            [np.interp(positions, np.arange(out.shape[0]), out[:, c]) for c in (0, 1)], 1
        )
    return out


def wav_bytes(samples: np.ndarray, rate: int) -> bytes:
    """16-bit PCM WAV of float samples (frames x channels)."""
    pcm = np.clip(np.round(samples * 32767), -32768, 32767).astype("<i2")
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(pcm.shape[1])
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(pcm.tobytes())
    return buffer.getvalue()


@functools.cache
def track_wav(track: MusicTrack, rate: int = RATE, mono: bool = False) -> bytes:
    """``track`` as a WAV file, rendered once per process (the compositor mixes it at 48 kHz
    stereo; the API's preview is smaller)."""
    samples = compose(track, rate)
    if mono:
        samples = samples.mean(axis=1, keepdims=True)
    return wav_bytes(samples, rate)


def loop_seconds(track: MusicTrack) -> float:
    piece = COMPOSITIONS[track]
    return piece.bar_seconds * len(piece.chords)
