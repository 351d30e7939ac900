"""Subtitles from the narration cues (pure): a WebVTT sidecar, and an ASS file to burn in."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Cue:
    start: float
    end: float
    text: str


def timeline_cues(
    scene_starts: Sequence[float], scene_cues: Sequence[Sequence[tuple[float, float, str]]]
) -> list[Cue]:
    """Scene-relative cues placed on the video's timeline."""
    cues = []
    for start, cues_of_scene in zip(scene_starts, scene_cues, strict=True):
        cues += [
            Cue(round(start + begin, 3), round(start + end, 3), text)
            for begin, end, text in cues_of_scene
        ]
    return cues


def _vtt_time(seconds: float) -> str:
    millis = round(seconds * 1000)
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    secs, millis = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}.{millis:03d}"


def webvtt(cues: Sequence[Cue]) -> str:
    lines = ["WEBVTT", ""]
    for number, cue in enumerate(cues, start=1):
        lines += [str(number), f"{_vtt_time(cue.start)} --> {_vtt_time(cue.end)}", cue.text, ""]
    return "\n".join(lines)


def _ass_time(seconds: float) -> str:
    centis = round(seconds * 100)
    hours, rest = divmod(centis, 360_000)
    minutes, rest = divmod(rest, 6000)
    secs, centis = divmod(rest, 100)
    return f"{hours}:{minutes:02d}:{secs:02d}.{centis:02d}"


def ass(cues: Sequence[Cue], width: int, height: int) -> str:
    """An ASS script sized to the video: white text, dark outline, bottom centre."""
    size = max(14, round(min(width, height) * 0.055))
    margin = round(height * 0.06)
    header = f"""[Script Info]
ScriptType: v4.00+
PlayResX: {width}
PlayResY: {height}
WrapStyle: 0

[V4+ Styles]
Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, BackColour, Bold, Italic, Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, BorderStyle, Outline, Shadow, Alignment, MarginL, MarginR, MarginV, Encoding
Style: Default,DejaVu Sans,{size},&H00FFFFFF,&H000000FF,&H00202020,&H80000000,-1,0,0,0,100,100,0,0,1,{max(1, size // 12)},{max(1, size // 18)},2,{margin},{margin},{margin},1

[Events]
Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text
"""
    events = [
        f"Dialogue: 0,{_ass_time(cue.start)},{_ass_time(cue.end)},Default,,0,0,0,,{cue.text.replace(chr(10), ' ')}"
        for cue in cues
    ]
    return header + "\n".join(events) + "\n"
