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


FRAME_SECONDS = 0.02
SPEECH_SHARE = 0.1
"""A 20 ms frame is speech when louder than this share of the recording's loud frames."""
SILENT_RMS = 10 ** (-50 / 20)


def recorded(samples: np.ndarray, lines: Sequence[str]) -> Narration:
    """The creator's own recording of ``lines`` (at :data:`SAMPLE_RATE`): kept as it is, its
    cues spread over the spoken part (from the first loud frame to the last), each line's share
    of that time by its length. A recording with no speech has no cues."""
    samples = samples.astype(np.float32)
    seconds = round(len(samples) / SAMPLE_RATE, 3)
    frame = int(FRAME_SECONDS * SAMPLE_RATE)
    count = len(samples) // frame
    if not lines or count == 0:
        return Narration(samples, seconds, ())
    rms = np.sqrt((samples[: count * frame].reshape(count, frame) ** 2).mean(axis=1))
    loud = float(np.percentile(rms, 95))
    speaking = np.flatnonzero(rms > max(SILENT_RMS, loud * SPEECH_SHARE))
    if loud <= SILENT_RMS or speaking.size == 0:
        return Narration(samples, seconds, ())
    start, end = speaking[0] * FRAME_SECONDS, (speaking[-1] + 1) * FRAME_SECONDS
    weights = [max(1, len(line.replace(" ", ""))) for line in lines]
    cues, cursor = [], start
    for line, weight in zip(lines, weights, strict=True):
        length = (end - start) * weight / sum(weights)
        cues.append(
            SubtitleCue(
                start_seconds=round(cursor, 3),
                end_seconds=round(cursor + length, 3),
                text=line,
            )
        )
        cursor += length
    return Narration(samples, seconds, tuple(cues))
