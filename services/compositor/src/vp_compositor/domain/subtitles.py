"""Subtitles from the narration cues (pure): a WebVTT sidecar, and an ASS file to burn in.

Lines are broken here, not by the renderer: at spaces where the language has them (Korean,
English), between letters where it has none (Japanese, Chinese), never before a closing mark,
and never wider than the frame allows for its aspect ratio. A cue that needs more than two
lines is shown as several cues in turn, its time shared by length.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from vp_contracts.language import SPACELESS, display_width, primary
from vp_contracts.values import SubtitlePosition, SubtitleStyle

MAX_LINES = 2
MARGIN_SHARE = 0.06
NO_LINE_START = frozenset("、。，．,.!?！？)）」』】〉》…ー・:;：；%")
NO_LINE_END = frozenset("(（「『【〈《")
ALIGNMENT = {
    SubtitlePosition.BOTTOM: 2,
    SubtitlePosition.MIDDLE: 5,
    SubtitlePosition.TOP: 8,
}
"""ASS alignments (numpad layout): centred at the bottom, the middle or the top."""


@dataclass(frozen=True)
class Cue:
    start: float
    end: float
    text: str


@dataclass(frozen=True)
class Layout:
    """How subtitles sit in a frame: its size, the font that draws them, the story's style."""

    width: int
    height: int
    font: str
    language: str
    style: SubtitleStyle = field(default_factory=SubtitleStyle)

    @property
    def font_size(self) -> int:
        return max(14, round(min(self.width, self.height) * self.style.size_percent / 100))

    @property
    def margin(self) -> int:
        return round(self.height * MARGIN_SHARE)

    @property
    def line_ems(self) -> float:
        """How many ems fit on a line: the frame's width less the side margins."""
        side = max(self.margin, round(self.width * 0.05))
        return (self.width - 2 * side) / self.font_size

    @property
    def line_letters(self) -> int | None:
        return self.style.max_chars_per_line


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


def wrap(text: str, language: str, ems: float, letters: int | None = None) -> list[str]:
    """``text`` in lines no wider than ``ems`` and, when given, of at most ``letters``
    letters."""
    text = " ".join(text.split())

    def fits(line: str) -> bool:
        return display_width(line) <= ems and (letters is None or len(line) <= letters)

    if primary(language) in SPACELESS:
        return _wrap_letters(text, fits)
    lines: list[str] = []
    line = ""
    for word in text.split(" "):
        candidate = f"{line} {word}" if line else word
        if fits(candidate):
            line = candidate
            continue
        if line:
            lines.append(line)
        # A word longer than a line (a URL, a long compound) is cut between letters.
        pieces = _wrap_letters(word, fits) if not fits(word) else [word]
        lines += pieces[:-1]
        line = pieces[-1]
    if line:
        lines.append(line)
    return lines


def _wrap_letters(text: str, fits: Callable[[str], bool]) -> list[str]:
    lines: list[str] = []
    line = ""
    for char in text:
        if not fits(line + char) and line:
            # Keep closing marks with what they close, opening marks with what they open.
            carry = ""
            if char in NO_LINE_START and len(line) > 1:
                carry, line = line[-1], line[:-1]
            while line and line[-1] in NO_LINE_END:
                carry, line = line[-1] + carry, line[:-1]
            lines.append(line.rstrip())
            line = (carry + char).lstrip()
        else:
            line += char
    if line.strip():
        lines.append(line.strip())
    return lines


def paged(cues: Sequence[Cue], layout: Layout) -> list[Cue]:
    """Cues with their line breaks (``\\n``), at most :data:`MAX_LINES` lines each: a longer
    one is split into consecutive cues, each shown for its share of the time."""
    out: list[Cue] = []
    for cue in cues:
        lines = wrap(cue.text, layout.language, layout.line_ems, layout.line_letters)
        pages = [lines[i : i + MAX_LINES] for i in range(0, len(lines), MAX_LINES)] or [[""]]
        weights = [max(1.0, sum(display_width(line) for line in page)) for page in pages]
        start = cue.start
        for page, weight in zip(pages, weights, strict=True):
            end = round(start + (cue.end - cue.start) * weight / sum(weights), 3)
            out.append(Cue(round(start, 3), end, "\n".join(page)))
            start = end
    return out


def _clock(seconds: float, separator: str) -> str:
    millis = round(seconds * 1000)
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    secs, millis = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}{separator}{millis:03d}"


def webvtt(cues: Sequence[Cue], language: str | None = None) -> str:
    lines = ["WEBVTT", ""]
    if language:
        lines = ["WEBVTT", f"Language: {language}", ""]
    for number, cue in enumerate(cues, start=1):
        lines += [str(number), f"{_clock(cue.start, '.')} --> {_clock(cue.end, '.')}", cue.text, ""]
    return "\n".join(lines)


def srt(cues: Sequence[Cue]) -> str:
    """The same cues as SubRip: numbered blocks, comma before the milliseconds."""
    blocks = [
        f"{number}\n{_clock(cue.start, ',')} --> {_clock(cue.end, ',')}\n{cue.text}\n"
        for number, cue in enumerate(cues, start=1)
    ]
    return "\n".join(blocks)


def _ass_time(seconds: float) -> str:
    centis = round(seconds * 100)
    hours, rest = divmod(centis, 360_000)
    minutes, rest = divmod(rest, 6000)
    secs, centis = divmod(rest, 100)
    return f"{hours}:{minutes:02d}:{secs:02d}.{centis:02d}"


def _ass_text(text: str) -> str:
    # Braces start override blocks in ASS: shown as text they must be escaped.
    return text.replace("\\", "\\\\").replace("{", "\\{").replace("}", "\\}").replace("\n", "\\N")


def _ass_colour(rgb: str) -> str:
    """``#RRGGBB`` as ASS writes it: ``&H00BBGGRR`` (alpha first, then blue, green, red)."""
    red, green, blue = rgb[1:3], rgb[3:5], rgb[5:7]
    return f"&H00{blue}{green}{red}".upper()


def ass(cues: Sequence[Cue], layout: Layout) -> str:
    """An ASS script sized to the video in the story's style (font, size, colours, outline,
    position), lines already broken (no wrapping by the renderer: WrapStyle 2)."""
    style = layout.style
    size, margin = layout.font_size, layout.margin
    outline = round(size * style.outline_percent / 100, 1)
    colour, edge = _ass_colour(style.colour), _ass_colour(style.outline_colour)
    header = f"""[Script Info]
ScriptType: v4.00+
PlayResX: {layout.width}
PlayResY: {layout.height}
WrapStyle: 2

[V4+ Styles]
Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, BackColour, Bold, Italic, Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, BorderStyle, Outline, Shadow, Alignment, MarginL, MarginR, MarginV, Encoding
Style: Default,{layout.font},{size},{colour},&H000000FF,{edge},&H80000000,-1,0,0,0,100,100,0,0,1,{outline},{max(1, size // 18)},{ALIGNMENT[style.position]},{margin},{margin},{margin},1

[Events]
Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text
"""
    events = [
        f"Dialogue: 0,{_ass_time(cue.start)},{_ass_time(cue.end)},Default,,0,0,0,,{_ass_text(cue.text)}"
        for cue in cues
    ]
    return header + "\n".join(events) + "\n"
