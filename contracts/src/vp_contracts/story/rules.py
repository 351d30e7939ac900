"""Pure formulas of the Story: scene split, render profiles, cost and time estimates."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal

from vp_contracts.language import detect
from vp_contracts.values import ProviderCosts, RenderProfile, Resolution, StorySpec

SCENE_UNIT_SECONDS = 7
"""Automatic scenes are 7 seconds long (the backend guide); the last one may be shorter."""

STORAGE_COST = Decimal("0.10")
PREVIEW_SHARE = Decimal("0.5")
PREVIEW_RESOLUTION = Resolution.P480
PREVIEW_MAX_FPS = 24
_CENT_FRACTION = Decimal("0.0001")


def story_language(spec: StorySpec) -> str:
    """The language a story is told in: the one asked for, else what its text is written in."""
    return spec.language or detect(
        spec.title,
        spec.description,
        spec.character_prompt,
        spec.background_prompt,
        spec.action_prompt,
    )


def split_duration(total_seconds: int, unit: int = SCENE_UNIT_SECONDS) -> list[int]:
    """Scene lengths for a story: ``unit``-second scenes, the last shorter, at least one."""
    if total_seconds < 1:
        raise ValueError("a story lasts at least one second")
    full, rest = divmod(total_seconds, unit)
    return [unit] * full + ([rest] if rest else [])


@dataclass(frozen=True)
class CostBreakdown:
    """The backend guide's estimate, part by part (dollars, rounded to 1/100 of a cent)."""

    images: Decimal
    video: Decimal
    preview: Decimal
    storage: Decimal

    @property
    def total(self) -> Decimal:
        return self.images + self.video + self.preview + self.storage


def cost_breakdown(
    scene_count: int, duration_seconds: float, costs: ProviderCosts
) -> CostBreakdown:
    """Images + video + preview at half the video + storage."""
    video = Decimal(str(duration_seconds)) * costs.cost_per_video_second
    return CostBreakdown(
        images=_round(scene_count * costs.cost_per_image),
        video=_round(video),
        preview=_round(video * PREVIEW_SHARE),
        storage=STORAGE_COST,
    )


def estimate_cost(scene_count: int, duration_seconds: float, costs: ProviderCosts) -> Decimal:
    """The total of :func:`cost_breakdown`."""
    return cost_breakdown(scene_count, duration_seconds, costs).total


def run_estimate(
    kind: Literal["preview", "final", "scene"],
    scene_count: int,
    duration_seconds: float,
    costs: ProviderCosts,
) -> Decimal:
    """What one run may cost, checked against the budgets before it starts: a preview makes
    the images and the preview video, a final the images at its size, the video and storage,
    a scene's regeneration one image."""
    if kind == "scene":
        return _round(costs.cost_per_image)
    parts = cost_breakdown(scene_count, duration_seconds, costs)
    if kind == "preview":
        return parts.images + parts.preview
    return parts.images + parts.video + parts.storage


def _round(amount: Decimal) -> Decimal:
    return amount.quantize(_CENT_FRACTION, rounding=ROUND_HALF_UP)


def estimate_for_spec(spec: StorySpec, costs: ProviderCosts) -> Decimal:
    """Estimate before planning: scene count from the automatic split."""
    return estimate_cost(len(split_duration(spec.duration_seconds)), spec.duration_seconds, costs)


def final_profile(spec: StorySpec) -> RenderProfile:
    """Size and rate of the final video."""
    width, height = spec.aspect_ratio.frame_size(spec.resolution)
    return RenderProfile(width=width, height=height, fps=spec.fps)


def preview_profile(spec: StorySpec) -> RenderProfile:
    """Size and rate of the fast preview: 480p (or less), at most 24 fps."""
    resolution = min(spec.resolution, PREVIEW_RESOLUTION, key=lambda r: r.lines)
    width, height = spec.aspect_ratio.frame_size(resolution)
    return RenderProfile(width=width, height=height, fps=min(spec.fps, PREVIEW_MAX_FPS))


def estimate_preview_seconds(scene_count: int, duration_seconds: float) -> int:
    """Rough wall time of a preview with the built-in providers."""
    return round(5 + 1.0 * scene_count + 0.15 * duration_seconds)


def estimate_render_seconds(
    scene_count: int, duration_seconds: float, profile: RenderProfile
) -> int:
    """Rough wall time of a final render: grows with pixels per second of video."""
    pixel_rate = profile.width * profile.height * profile.fps / (1920 * 1080 * 30)
    return round(10 + 2.0 * scene_count + 1.0 * duration_seconds * pixel_rate)
