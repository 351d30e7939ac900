"""A creator's own recording as a scene's narration: kept as it is, cues over its spoken
part."""

from __future__ import annotations

import numpy as np
import pytest
from vp_generator.domain.narration import SAMPLE_RATE, recorded


def test_an_own_recording_keeps_its_audio_and_spreads_the_cues_over_the_speech() -> None:
    rate = SAMPLE_RATE
    t = np.arange(int(6.0 * rate)) / rate
    speech = ((t >= 1.0) & (t < 5.0)) * 0.3 * np.sin(2 * np.pi * 200 * t)  # silence round it
    narration = recorded(speech.astype(np.float32), ["하나 둘", "셋 넷 다섯 여섯"])
    assert narration.seconds == 6.0 and np.array_equal(narration.samples, speech.astype(np.float32))
    first, second = narration.cues
    assert first.start_seconds == pytest.approx(1.0, abs=0.03)
    assert second.end_seconds == pytest.approx(5.0, abs=0.03)
    assert first.end_seconds == second.start_seconds
    # the longer line gets the longer share: 4 letters against 8
    assert (second.end_seconds - second.start_seconds) == pytest.approx(
        2 * (first.end_seconds - first.start_seconds), rel=0.01
    )


def test_a_silent_recording_has_no_cues() -> None:
    silent = np.zeros(SAMPLE_RATE * 2, np.float32)
    assert recorded(silent, ["안녕하세요"]).cues == ()
