"""The offline painter understands Korean prompts as well as their English translations: two
different Korean stories give pictures as different, and as close to their English twins, as
the English ones do. Figures are printed (the issue asks for them)."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image
from vp_contracts.values import Style
from vp_generator.adapters.offline.provider import OfflineProvider
from vp_generator.domain.glossary import english
from vp_runtime.providers.base import ImageRequest
from vp_runtime.providers.config import OFFLINE

STORIES = {
    "fox": {
        "ko": (
            "빨간 목도리를 한 작은 주황색 여우",
            "밤의 안개 낀 소나무 숲",
            "조심스럽게 걸으며 주위를 둘러봅니다",
        ),
        "en": (
            "a small orange fox with a red scarf",
            "a misty pine forest at night",
            "walks carefully, looking around",
        ),
    },
    "robot": {
        "ko": ("빨간 눈을 가진 작은 은색 로봇", "한낮의 뜨거운 모래 사막", "천천히 걸어갑니다"),
        "en": ("a small silver robot with red eyes", "a hot sand desert at noon", "walks slowly"),
    },
}


async def picture(character: str, background: str, action: str, language: str) -> np.ndarray:
    painter = OfflineProvider(OFFLINE)
    size = {"width": 480, "height": 270, "style": Style.WATERCOLOR, "seed": 3}
    back = await painter.generate_image(
        ImageRequest(prompt=english(background, language), **size), "k"
    )
    front = await painter.generate_image(
        ImageRequest(
            prompt=english(character, language),
            action=english(action, language),
            transparent=True,
            **size,
        ),
        "k",
    )
    scene = Image.open(io.BytesIO(back.data)).convert("RGBA")
    scene.alpha_composite(Image.open(io.BytesIO(front.data)).convert("RGBA"))
    return np.asarray(scene.convert("RGB"), dtype=np.float32)


def difference(a: np.ndarray, b: np.ndarray) -> float:
    """Mean absolute difference per channel, 0 (same) to 255."""
    return float(np.abs(a - b).mean())


@pytest.fixture(scope="module")
async def pictures() -> dict[tuple[str, str], np.ndarray]:
    return {
        (story, language): await picture(*prompts, language)
        for story, languages in STORIES.items()
        for language, prompts in languages.items()
    }


async def test_korean_stories_are_as_different_as_their_english_translations(
    pictures: dict[tuple[str, str], np.ndarray],
) -> None:
    korean = difference(pictures["fox", "ko"], pictures["robot", "ko"])
    english_ = difference(pictures["fox", "en"], pictures["robot", "en"])
    fox_twins = difference(pictures["fox", "ko"], pictures["fox", "en"])
    robot_twins = difference(pictures["robot", "ko"], pictures["robot", "en"])
    print(
        f"fox vs robot: Korean {korean:.1f}, English {english_:.1f}; "
        f"Korean vs English: fox {fox_twins:.1f}, robot {robot_twins:.1f} (mean |diff|, 0-255)"
    )
    assert korean >= 0.8 * english_
    assert korean > 25  # a forest at night and a desert at noon
    assert max(fox_twins, robot_twins) < korean / 2  # each close to its English twin


async def test_the_korean_fox_is_an_orange_fox_with_a_red_scarf_in_a_night_forest() -> None:
    assert english("빨간 목도리를 한 작은 주황색 여우", "ko") == "small orange fox, with red scarf"
    assert english("밤의 안개 낀 소나무 숲", "ko") == "pine forest, night, misty"
    assert english("빨간 눈을 가진 작은 은색 로봇", "ko") == "small silver robot, with red eyes"
    assert "desert" in english("한낮의 뜨거운 모래 사막", "ko")
