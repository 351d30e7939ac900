"""Planner settings (``VP_*`` environment variables)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field
from vp_runtime.settings import RuntimeSettings


class PlannerSettings(RuntimeSettings):
    service_name: str = "planner"
    default_planner: Literal["rules", "llm"] = Field(
        default="rules", description="Planner used when a story does not choose one"
    )
    llm_provider: str | None = Field(
        default=None,
        description="Name of the 'openai' provider in VP_PROVIDERS to plan with (first one if unset)",
    )
