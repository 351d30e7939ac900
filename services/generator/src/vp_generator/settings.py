"""Generator settings (``VP_*`` environment variables)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field
from vp_runtime.settings import RuntimeSettings


class GeneratorSettings(RuntimeSettings):
    service_name: str = "generator"
    narration_engine: Literal["auto", "hibari", "espeak"] = Field(
        default="auto",
        description="Built-in English voice: auto (and hibari) the neural one, espeak the robotic"
        " one; other languages always speak with espeak-ng",
    )
