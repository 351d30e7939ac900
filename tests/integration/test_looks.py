"""A story's look in the rendered frames (real ffmpeg and libass): each transition kind where
the scenes meet, a hard cut with no mixed frame, and the subtitle style (colour, position,
size, font) where the letters are."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from vp_compositor.domain.subtitles import Cue, Layout, ass, paged
from vp_compositor.domain.timeline import Output, SceneMedia, compose_args
from vp_contracts.values import SubtitlePosition, SubtitleStyle, Transition
from vp_runtime.media import probe, run_ffmpeg

from tests.support.subtitles import READ_BACK, found, frame, read_frame

pytestmark = pytest.mark.integration
RED, BLUE = (220, 30, 30), (30, 30, 220)
KOREAN = "작은 여우가 등불을 찾았어요"


def _flat_scenes(folder: Path, transition: Transition) -> list[SceneMedia]:
    for name, colour in (("red", RED), ("blue", BLUE)):
        Image.new("RGB", (480, 270), colour).save(folder / f"{name}.png")
    return [
        SceneMedia(duration=2.0, background="red.png", transition=transition),
        SceneMedia(duration=2.0, background="blue.png"),
    ]


def _redness(pixels: np.ndarray) -> float:
    """0 for the blue scene, 1 for the red one, between them for a mix."""
    red, blue = pixels[..., 0].mean(), pixels[..., 2].mean()
    return float((red - blue) / (RED[0] - RED[2]) / 2 + 0.5)


@pytest.mark.parametrize(
    "kind", [Transition.FADE, Transition.WIPE_LEFT, Transition.SLIDE_UP, Transition.CUT]
)
async def test_each_transition_shows_where_the_scenes_meet(
    tmp_path: Path, kind: Transition
) -> None:
    out = Output(width=320, height=180, fps=25, preset="veryfast", crf=18, crossfade=1.0)
    await run_ffmpeg(compose_args(_flat_scenes(tmp_path, kind), out, "out.mp4"), cwd=tmp_path)
    video = tmp_path / "out.mp4"
    facts = await probe(video)
    assert facts.frames == 100  # 4 s at 25 fps, whatever the transition

    assert _redness(frame(video, 1.0)) > 0.95 and _redness(frame(video, 3.6)) < 0.05
    middle = frame(video, 2.5)  # halfway through the transition (or after the cut)
    left, right = _redness(middle[:, :160]), _redness(middle[:, 160:])
    top, bottom = _redness(middle[:90]), _redness(middle[90:])
    if kind == Transition.FADE:  # every pixel mixed
        assert 0.3 < left < 0.7 and abs(left - right) < 0.05 and abs(top - bottom) < 0.05
    elif kind == Transition.WIPE_LEFT:  # the new scene comes in from the right
        assert right < 0.1 and left > 0.9
    elif kind == Transition.SLIDE_UP:  # the new scene slides in from below
        assert bottom < 0.1 and top > 0.9
    else:  # a hard cut at the boundary: no frame is a mix
        assert _redness(frame(video, 1.96)) > 0.95 and _redness(middle) < 0.05
        for at in np.arange(1.8, 2.3, 0.04):
            assert min(abs(_redness(frame(video, at)) - side) for side in (0, 1)) < 0.05, at


async def _titled(folder: Path, name: str, style: SubtitleStyle) -> Path:
    """A dark 2 s video with one Korean cue burned in, in ``style``."""
    Image.new("RGB", (640, 360), (20, 24, 40)).save(folder / "dark.png")
    layout = Layout(640, 360, style.font or "Noto Sans CJK KR", "ko", style)
    (folder / f"{name}.ass").write_text(ass(paged([Cue(0, 2, KOREAN)], layout), layout))
    out = Output(640, 360, 25, "veryfast", 18, subtitles=f"{name}.ass")
    scenes = [SceneMedia(duration=2.0, background="dark.png")]
    await run_ffmpeg(compose_args(scenes, out, f"{name}.mp4"), cwd=folder)
    return folder / f"{name}.mp4"


def _white(pixels: np.ndarray) -> np.ndarray:
    """Where the frame shows white letters."""
    return (pixels > 200).all(axis=2)


def _yellow(pixels: np.ndarray) -> np.ndarray:
    """Where it shows yellow ones (chroma is subsampled: judged by hue, not exact colour)."""
    red, green, blue = pixels[..., 0], pixels[..., 1], pixels[..., 2]
    return (red > 170) & (green > 150) & (blue < 110)


def _rows(mask: np.ndarray) -> tuple[int, int]:
    rows = np.flatnonzero(mask.any(axis=1))
    return int(rows[0]), int(rows[-1])


async def test_the_subtitle_style_shows_in_the_frame(tmp_path: Path) -> None:
    plain = frame(await _titled(tmp_path, "plain", SubtitleStyle()), 1.0)
    yellow_top = SubtitleStyle(colour="#FFE000", position=SubtitlePosition.TOP)
    styled = frame(await _titled(tmp_path, "styled", yellow_top), 1.0)
    big = SubtitleStyle(size_percent=10, position=SubtitlePosition.MIDDLE)
    large = frame(await _titled(tmp_path, "large", big), 1.0)

    white, yellow = _white(plain), _yellow(styled)
    assert white.sum() > 300 and yellow.sum() > 300
    assert _white(styled).sum() < 20 and _yellow(plain).sum() < 20  # each in its own colour
    first, last = _rows(white)
    assert first > 360 * 0.75  # bottom band
    first, last = _rows(yellow)
    assert last < 360 * 0.25  # top band
    first_large, last_large = _rows(_white(large))
    assert first_large < 180 < last_large  # centred
    assert (last_large - first_large) > 1.5 * (_rows(white)[1] - _rows(white)[0])  # bigger


async def test_a_chosen_font_draws_the_korean_subtitles(tmp_path: Path) -> None:
    default = await _titled(tmp_path, "default", SubtitleStyle())
    myeongjo = await _titled(tmp_path, "myeongjo", SubtitleStyle(font="NanumMyeongjo"))
    a, b = _white(frame(default, 1.0)), _white(frame(myeongjo, 1.0))
    assert b.sum() > 300
    assert (a ^ b).sum() > 0.3 * a.sum()  # other letter shapes, not the default font again
    assert found(KOREAN, read_frame(myeongjo, 1.0, "kor", tmp_path)) >= READ_BACK
