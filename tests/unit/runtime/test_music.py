"""The built-in music library: composed here, the same every time, loud enough, and looping
without a click."""

from __future__ import annotations

import functools
import io
import wave

import numpy as np
import pytest
from vp_contracts.values import MusicTrack
from vp_runtime.media.music import PEAK, RATE, compose, loop_seconds, track_wav

composed = functools.cache(compose)
"""Each track composed once for all the tests (about a second each)."""


@pytest.mark.parametrize("track", list(MusicTrack))
def test_each_track_is_a_seamless_loop_at_a_sane_level(track: MusicTrack) -> None:
    samples = composed(track)
    assert samples.shape == (round(loop_seconds(track) * RATE), 2)
    assert np.abs(samples).max() == pytest.approx(PEAK, abs=1e-6)
    rms_db = 20 * np.log10(np.sqrt((samples**2).mean()))
    assert -24 < rms_db < -10  # music, not a whisper nor a wall
    seconds = [samples[i * RATE : (i + 1) * RATE] for i in range(int(loop_seconds(track)))]
    assert min(np.sqrt((part**2).mean()) for part in seconds) > 0.01  # never a silent second
    seam = np.abs(samples[0] - samples[-1]).max()
    typical_step = np.abs(np.diff(samples, axis=0)).mean()
    assert seam < 20 * typical_step  # the end runs into the start: no click when looped


def test_tracks_are_deterministic_and_differ() -> None:
    calm, again = composed(MusicTrack.CALM), compose(MusicTrack.CALM)
    assert np.array_equal(calm, again)
    upbeat = composed(MusicTrack.UPBEAT)
    assert loop_seconds(MusicTrack.CALM) != loop_seconds(MusicTrack.UPBEAT)
    assert calm.shape != upbeat.shape


def test_the_preview_is_a_small_mono_wav() -> None:
    with wave.open(io.BytesIO(track_wav(MusicTrack.AMBIENT, 22_050, True))) as preview:
        assert (preview.getnchannels(), preview.getframerate(), preview.getsampwidth()) == (
            1,
            22_050,
            2,
        )
        assert preview.getnframes() == pytest.approx(loop_seconds(MusicTrack.AMBIENT) * 22_050, 1)
