from __future__ import annotations

from decimal import Decimal

import pytest
from vp_contracts.story.rules import (
    estimate_cost,
    final_profile,
    preview_profile,
    split_duration,
)
from vp_contracts.values import AspectRatio, ProviderCosts, Resolution

from tests.support.stories import spec


@pytest.mark.parametrize(
    ("total", "scenes"),
    [
        (1, [1]),
        (6, [6]),
        (7, [7]),
        (8, [7, 1]),
        (21, [7, 7, 7]),
        (42, [7] * 6),
        (600, [7] * 85 + [5]),
    ],
)
def test_stories_split_into_seven_second_scenes_the_last_one_shorter(
    total: int, scenes: list[int]
) -> None:
    assert split_duration(total) == scenes
    assert sum(split_duration(total)) == total


def test_a_story_of_no_length_cannot_be_split() -> None:
    with pytest.raises(ValueError, match="at least one second"):
        split_duration(0)


def test_cost_estimate_follows_the_backend_guide() -> None:
    costs = ProviderCosts(cost_per_image=Decimal("0.02"), cost_per_video_second=Decimal("0.05"))
    # 6 x 0.02 + 42 x 0.05 + (42 x 0.05) / 2 + 0.10
    assert estimate_cost(6, 42, costs) == Decimal("0.12") + Decimal("2.10") + Decimal(
        "1.05"
    ) + Decimal("0.10")


def test_offline_providers_cost_only_storage() -> None:
    assert estimate_cost(6, 42, ProviderCosts()) == Decimal("0.10")


@pytest.mark.parametrize(
    ("ratio", "resolution", "size"),
    [
        (AspectRatio.LANDSCAPE, Resolution.P1080, (1920, 1080)),
        (AspectRatio.PORTRAIT, Resolution.P1080, (1080, 1920)),
        (AspectRatio.SQUARE, Resolution.P720, (720, 720)),
        (AspectRatio.LANDSCAPE, Resolution.P480, (854, 480)),
        (AspectRatio.LANDSCAPE, Resolution.UHD4K, (3840, 2160)),
    ],
)
def test_frame_sizes_are_even_and_follow_the_aspect_ratio(
    ratio: AspectRatio, resolution: Resolution, size: tuple[int, int]
) -> None:
    assert ratio.frame_size(resolution) == size


def test_preview_is_480p_at_most_24fps_and_final_is_the_story_target() -> None:
    story = spec(resolution="4k", fps=60, aspect_ratio="9:16")
    assert (
        preview_profile(story).width,
        preview_profile(story).height,
        preview_profile(story).fps,
    ) == (480, 854, 24)
    assert (final_profile(story).width, final_profile(story).height, final_profile(story).fps) == (
        2160,
        3840,
        60,
    )
