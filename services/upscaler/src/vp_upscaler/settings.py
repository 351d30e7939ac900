"""Upscaler settings (``VP_*`` environment variables)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field
from vp_runtime.settings import RuntimeSettings


class UpscalerSettings(RuntimeSettings):
    service_name: str = "upscaler"
    interpolation: Literal["blend", "mci"] = Field(
        default="blend",
        description="Frame interpolation: blend (fast) or mci (motion-compensated, slow)",
    )
    final_preset: str = Field(default="fast", description="x264 preset of the final encode")
    final_crf: int = Field(default=22, ge=0, le=51, description="x264 quality of the final encode")
    ladder_preset: str = Field(
        default="veryfast",
        description="x264 preset of the HLS renditions below the final (at the final's crf)",
    )
