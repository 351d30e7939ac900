"""A scene's narration put together from its spoken sentences (pure): a short lead-in, the
sentences with a pause between them, one loudness, and a subtitle cue per sentence exactly
where it is spoken."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from vp_contracts.values import SubtitleCue

SAMPLE_RATE = 24_000
GAP_SECONDS = 0.25
LEAD_IN_SECONDS = 0.2
PEAK = 0.89


@dataclass(frozen=True)
class Narration:
    samples: np.ndarray
    seconds: float
    cues: tuple[SubtitleCue, ...]


def assemble(spoken: Sequence[tuple[str, np.ndarray]]) -> Narration:
    """``spoken``: each sentence with its audio at :data:`SAMPLE_RATE`."""
    gap = np.zeros(int(GAP_SECONDS * SAMPLE_RATE), np.float32)
    audio: list[np.ndarray] = [np.zeros(int(LEAD_IN_SECONDS * SAMPLE_RATE), np.float32)]
    cues = []
    cursor = LEAD_IN_SECONDS
    for text, samples in spoken:
        length = len(samples) / SAMPLE_RATE
        cues.append(
            SubtitleCue(
                start_seconds=round(cursor, 3), end_seconds=round(cursor + length, 3), text=text
            )
        )
        audio += [samples.astype(np.float32), gap]
        cursor += length + GAP_SECONDS
    joined = np.concatenate(audio)
    peak = float(np.abs(joined).max()) if joined.size else 0.0
    if peak > 1e-4:
        joined = joined * (PEAK / peak)
    return Narration(joined, round(len(joined) / SAMPLE_RATE, 3), tuple(cues))
