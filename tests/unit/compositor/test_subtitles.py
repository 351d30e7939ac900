"""Subtitle lines for every language and frame: broken where the language allows, never wider
than the frame, at most two lines a cue, the right font."""

from __future__ import annotations

import itertools

import pytest
from vp_compositor.domain.subtitles import (
    NO_LINE_START,
    Cue,
    Layout,
    ass,
    paged,
    srt,
    webvtt,
    wrap,
)
from vp_compositor.settings import SUBTITLE_FONTS, subtitle_font
from vp_contracts.language import display_width
from vp_contracts.values import SubtitlePosition, SubtitleStyle

from tests.support.subtitles import srt_as_vtt, vtt_cues

KOREAN = "작은 여우가 안개 낀 숲에서 오래된 등불을 찾습니다. 등불이 밝게 빛나기 시작합니다."
JAPANESE = "小さな狐が霧の森で古いランタンを見つけました。ランタンは明るく輝き始めます。"
ENGLISH = "A small fox finds an old lantern in the misty forest, and it begins to glow."
FRAMES = [(854, 480), (480, 854), (480, 480), (1920, 1080), (1080, 1920)]


@pytest.mark.parametrize(("width", "height"), FRAMES)
@pytest.mark.parametrize(("language", "text"), [("ko", KOREAN), ("ja", JAPANESE), ("en", ENGLISH)])
def test_every_line_fits_the_frame(width: int, height: int, language: str, text: str) -> None:
    layout = Layout(width, height, "Noto Sans CJK KR", language)
    lines = wrap(text, language, layout.line_ems)
    assert all(display_width(line) <= layout.line_ems for line in lines)
    assert "".join(lines).replace(" ", "") == text.replace(" ", "")  # nothing lost
    if language == "ko" or language == "en":
        assert all(not line.startswith(" ") for line in lines)
        # Spaced languages break between words only.
        assert set(" ".join(lines).split()) == set(text.split())


def test_text_without_spaces_breaks_between_letters_never_before_a_closing_mark() -> None:
    lines = wrap(JAPANESE + "「すごい」、と言った。", "ja", 9)
    assert len(lines) > 3
    assert all(line[0] not in NO_LINE_START for line in lines)
    assert all(not line.endswith("「") for line in lines)


def test_a_long_cue_is_shown_as_pages_of_two_lines_sharing_its_time() -> None:
    layout = Layout(480, 854, "Noto Sans CJK KR", "ko")  # portrait: short lines
    cues = paged([Cue(1.0, 9.0, KOREAN + " " + KOREAN)], layout)
    assert len(cues) >= 2
    assert all(len(cue.text.split("\n")) <= 2 for cue in cues)
    assert cues[0].start == 1.0 and cues[-1].end == pytest.approx(9.0)
    assert all(a.end == b.start for a, b in itertools.pairwise(cues))
    assert all(cue.end > cue.start for cue in cues)


def test_the_ass_script_carries_the_font_and_the_breaks_and_vtt_the_language() -> None:
    layout = Layout(854, 480, "Noto Sans CJK KR", "ko")
    cues = paged([Cue(0.2, 4.0, KOREAN)], layout)
    script = ass(cues, layout)
    assert "Style: Default,Noto Sans CJK KR," in script and "WrapStyle: 2" in script
    assert "\\N" in script or len(cues) > 1
    assert "Language: ko" in webvtt(cues, "ko")
    assert "{" not in ass([Cue(0, 1, "{\\b1}x")], layout).split("[Events]")[1].replace("\\{", "")


def test_each_language_has_its_font() -> None:
    assert subtitle_font(SUBTITLE_FONTS, "ko") == "Noto Sans CJK KR"
    assert subtitle_font(SUBTITLE_FONTS, "ja-JP") == "Noto Sans CJK JP"
    assert subtitle_font(SUBTITLE_FONTS, "zh-TW") == "Noto Sans CJK TC"
    assert subtitle_font(SUBTITLE_FONTS, "zh") == "Noto Sans CJK SC"
    assert subtitle_font(SUBTITLE_FONTS, "fr") == "DejaVu Sans"


def test_srt_carries_the_same_cues_as_webvtt() -> None:
    layout = Layout(854, 480, "Noto Sans CJK KR", "ko")
    cues = paged([Cue(0.25, 4.5, KOREAN), Cue(3661.5, 3662.0, "끝")], layout)
    subrip, vtt = srt(cues), webvtt(cues, "ko")
    assert "01:01:01,500 --> 01:01:02,000" in subrip
    assert vtt_cues(vtt) == vtt_cues(srt_as_vtt(subrip))  # same times, same lines
    assert subrip.split("\n\n")[0].startswith("1\n00:00:00,250 --> ")


def test_the_story_style_sets_font_size_colours_outline_and_position() -> None:
    style = SubtitleStyle(
        font="NanumMyeongjo",
        size_percent=10,
        colour="#FFCC00",
        outline_colour="#000080",
        outline_percent=12,
        position=SubtitlePosition.TOP,
    )
    layout = Layout(1920, 1080, "NanumMyeongjo", "ko", style)
    line = next(row for row in ass([], layout).splitlines() if row.startswith("Style:"))
    fields = line.removeprefix("Style: ").split(",")
    assert fields[1:3] == ["NanumMyeongjo", "108"]  # 10% of 1080
    assert fields[3] == "&H0000CCFF" and fields[5] == "&H00800000"  # ASS colours are BGR
    assert fields[16] == "13.0" and fields[18] == "8"  # outline 12% of 108; top centre
    middle = Layout(1920, 1080, "x", "ko", SubtitleStyle(position=SubtitlePosition.MIDDLE))
    assert ass([], middle).split("Style: Default,")[1].split(",")[17] == "5"


@pytest.mark.parametrize(("language", "text"), [("ko", KOREAN), ("en", ENGLISH)])
def test_lines_keep_to_the_story_s_letters_per_line(language: str, text: str) -> None:
    layout = Layout(1920, 1080, "x", language, SubtitleStyle(max_chars_per_line=12))
    lines = [line for cue in paged([Cue(0, 8, text)], layout) for line in cue.text.split("\n")]
    assert all(len(line) <= 12 for line in lines), lines
    assert max(len(line) for line in lines) >= 9  # filled, not one word a line
    assert "".join(lines).replace(" ", "") == text.replace(" ", "")
