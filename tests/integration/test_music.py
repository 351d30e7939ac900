"""Background music in the mix (real ffmpeg): there for the whole video, lower under the
narration than between its lines, faded in and out as the story asks. The music's part is
measured exactly: the same story mixed with and without music, one subtracted from the other
(the mix adds them without normalising)."""

from __future__ import annotations

import itertools
import wave
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from vp_compositor.domain.timeline import MusicBed, SceneMedia, audio_args
from vp_contracts.values import MusicTrack
from vp_runtime.media import run_ffmpeg
from vp_runtime.media.music import track_wav

pytestmark = pytest.mark.integration
RATE = 48_000
LINES = [(1.0, 3.0), (6.0, 8.5)]
"""When the narration speaks (seconds of the video); the rest is between lines."""


def _voice(path: Path, seconds: float) -> None:
    """A spoken-like line (a buzzing vowel at about -20 dB RMS) during LINES, silence around."""
    t = np.arange(int(seconds * RATE)) / RATE
    speaking = np.zeros_like(t, dtype=bool)
    for start, end in LINES:
        speaking |= (t >= start) & (t < end)
    vowel = sum(np.sin(2 * np.pi * 180 * k * t) / k for k in range(1, 6)) * 0.07
    samples = np.where(speaking, vowel * (0.6 + 0.4 * np.sin(2 * np.pi * 4 * t) ** 2), 0.0)
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes((samples * 32767).astype("<i2").tobytes())


def _read(path: Path) -> np.ndarray:
    with wave.open(str(path)) as source:
        frames = source.readframes(source.getnframes())
        return np.frombuffer(frames, "<i2").reshape(-1, source.getnchannels()) / 32768


def _db(samples: np.ndarray) -> float:
    return float(20 * np.log10(np.sqrt((samples**2).mean()) + 1e-9))


async def _music_part(folder: Path, bed: MusicBed, narrated: bool) -> np.ndarray:
    """What the music adds to a 12 s, two-scene story (stereo samples)."""
    (folder / "music.wav").write_bytes(track_wav(MusicTrack.CALM))
    _voice(folder / "voice.wav", 10.0)
    voice = "voice.wav" if narrated else None
    scenes = [SceneMedia(10.0, "", narration=voice), SceneMedia(2.0, "")]
    await run_ffmpeg(audio_args(scenes, "with.wav", bed), cwd=folder)
    await run_ffmpeg(audio_args(scenes, "without.wav"), cwd=folder)
    mixed, bare = _read(folder / "with.wav"), _read(folder / "without.wav")
    assert mixed.shape == bare.shape == (12 * RATE, 2)
    return mixed - bare


def _window(samples: np.ndarray, start: float, end: float) -> np.ndarray:
    return samples[int(start * RATE) : int(end * RATE)]


async def test_music_ducks_under_the_narration_and_comes_back_between_lines(
    tmp_path: Path,
) -> None:
    """The ducking, as the gain of the music mixed under the voice against the same music not
    ducked: lower while each line is spoken, itself again between the lines."""
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    bed = MusicBed("music.wav", volume_db=-14, fade_in=0.5, fade_out=0.5)
    music = await _music_part(tmp_path / "a", bed, narrated=True)
    plain = await _music_part(tmp_path / "b", replace(bed, duck=False), narrated=True)

    def gain(start: float, end: float) -> float:
        return _db(_window(music, start, end)) - _db(_window(plain, start, end))

    under = [gain(start + 0.3, end) for start, end in LINES]
    between = [gain(4.0, 5.8), gain(9.5, 11.3)]
    assert all(value < -6 for value in under), under  # at least 6 dB lower under each line
    assert all(value > -1.5 for value in between), between  # back between the lines
    assert _db(_window(plain, 4.0, 5.8)) > -36  # and the music clearly there
    for second in range(1, 11):  # present the whole time, ducked or not
        assert _db(_window(music, second, second + 1)) > -50, second


async def test_music_fades_in_and_out_as_asked(tmp_path: Path) -> None:
    """The fades, as the gain of the faded music against the same music unfaded."""
    faded = MusicBed("music.wav", volume_db=-14, fade_in=3.0, fade_out=4.0, duck=False)
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    music = await _music_part(tmp_path / "a", faded, narrated=False)
    steady = await _music_part(
        tmp_path / "b", MusicBed("music.wav", -14, 0.0, 0.0, duck=False), narrated=False
    )
    gain = [
        _db(_window(music, s, s + 0.5)) - _db(_window(steady, s, s + 0.5))
        for s in np.arange(0, 12, 0.5)
    ]
    fade_in, middle, fade_out = gain[:6], gain[6:16], gain[16:]
    assert gain[0] < -6 and all(a < b for a, b in itertools.pairwise(fade_in)), fade_in
    assert all(abs(value) < 0.5 for value in middle), middle  # untouched between the fades
    assert gain[-1] < -6 and all(a > b for a, b in itertools.pairwise(fade_out)), fade_out
    assert _db(_window(steady, 3, 9)) == pytest.approx(-14 - 15, abs=3)  # the track at -14 dB
