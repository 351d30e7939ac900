"""Compositor settings (``VP_*`` environment variables)."""

from __future__ import annotations

from pydantic import Field
from vp_contracts.language import primary
from vp_runtime.settings import RuntimeSettings

SUBTITLE_FONTS = {
    "ko": "Noto Sans CJK KR",
    "ja": "Noto Sans CJK JP",
    "zh": "Noto Sans CJK SC",
    "zh-TW": "Noto Sans CJK TC",
    "zh-HK": "Noto Sans CJK HK",
    "zh-Hant": "Noto Sans CJK TC",
    "*": "DejaVu Sans",
}
"""Font of burned subtitles per language (Debian's fonts-noto-cjk and fonts-dejavu)."""


class CompositorSettings(RuntimeSettings):
    service_name: str = "compositor"
    crossfade_seconds: float = Field(
        default=0.5, ge=0, le=2, description="Default crossfade between scenes (0: cuts)"
    )
    preview_preset: str = Field(default="ultrafast", description="x264 preset of previews")
    preview_crf: int = Field(default=28, ge=0, le=51, description="x264 quality of previews")
    final_preset: str = Field(
        default="fast", description="x264 preset of final masters (the roadmap's)"
    )
    final_crf: int = Field(
        default=22, ge=0, le=51, description="x264 quality of final masters (the roadmap's)"
    )
    master_max_height: int = Field(
        default=1080,
        ge=240,
        description="Masters above this height are composed smaller and upscaled",
    )
    subtitle_fonts: dict[str, str] = Field(
        default_factory=lambda: dict(SUBTITLE_FONTS),
        description='Font of burned subtitles per language tag, "*" for the rest (JSON)',
    )
    segment_seconds: float = Field(
        default=60,
        ge=0,
        description="Finals longer than 1.5x this are rendered as segments of about this long,"
        " shared by every compositor replica, then joined without encoding again (0: never)",
    )
    segment_wait_seconds: float = Field(
        default=3600, ge=10, description="How long a final waits for its segments"
    )
    master_max_fps: int | None = Field(
        default=None,
        ge=1,
        description="Masters above this rate are composed slower and interpolated (unset: never)",
    )


def subtitle_font(fonts: dict[str, str], language: str) -> str:
    """The configured font for ``language``: its own tag, then its primary language, then "*"."""
    return fonts.get(language) or fonts.get(primary(language)) or fonts.get("*", "DejaVu Sans")
