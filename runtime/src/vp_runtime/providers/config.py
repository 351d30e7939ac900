"""Provider configuration, per the backend guide's AIProviderConfig.

``VP_PROVIDERS`` (JSON) or ``VP_PROVIDERS_FILE`` (a JSON file) lists providers in fallback
order. API keys never appear in it: each provider names the environment variable holding its
key (``STABILITY_AI_KEY``, ``RUNWAY_ML_KEY``, ``REPLICATE_API_TOKEN``, ``OPENAI_API_KEY`` by
default).
"""

from __future__ import annotations

import json
import os
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, TypeAdapter
from vp_contracts.values import ProviderCosts

ProviderKind = Literal[
    "offline", "stability", "runway", "replicate", "openai", "google_tts", "clova", "openai_tts"
]

KEY_VARIABLES: dict[str, str] = {
    "stability": "STABILITY_AI_KEY",
    "runway": "RUNWAY_ML_KEY",
    "replicate": "REPLICATE_API_TOKEN",
    "openai": "OPENAI_API_KEY",
    "google_tts": "GOOGLE_TTS_API_KEY",
    "clova": "NCP_CLIENT_SECRET",
    "openai_tts": "OPENAI_API_KEY",
}


class ProviderConfig(BaseModel):
    """One provider: whether it is used, its limits, its prices and its settings."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=r"^[a-z0-9_-]{1,40}$", description="Unique name, e.g. 'stability'")
    kind: ProviderKind = Field(description="Which adapter")
    is_active: bool = Field(default=True, description="Inactive providers are skipped")
    api_key_env: str | None = Field(
        default=None, description="Environment variable with the API key"
    )
    rate_limit_per_minute: int | None = Field(
        default=None, ge=1, description="Calls per minute, all replicas"
    )
    rate_limit_per_hour: int | None = Field(
        default=None, ge=1, description="Calls per hour, all replicas"
    )
    cost_per_image: Decimal = Field(default=Decimal(0), ge=0, description="Dollars per image")
    cost_per_second_video: Decimal = Field(
        default=Decimal(0), ge=0, description="Dollars per second of video"
    )
    cost_per_1k_tokens: Decimal = Field(
        default=Decimal(0), ge=0, description="Dollars per 1000 LLM tokens"
    )
    cost_per_1k_characters: Decimal = Field(
        default=Decimal(0), ge=0, description="Dollars per 1000 characters spoken (text-to-speech)"
    )
    settings: dict[str, Any] = Field(
        default_factory=dict, description="model, steps, base_url, ..."
    )

    def api_key(self) -> SecretStr | None:
        variable = self.api_key_env or KEY_VARIABLES.get(self.kind)
        value = os.environ.get(variable) if variable else None
        return SecretStr(value) if value else None

    def setting(self, name: str, default: Any) -> Any:
        """A provider setting; ``model`` and ``steps`` are also read under the backend guide's
        names for them (``default_model``, ``default_steps``)."""
        if name in self.settings:
            return self.settings[name]
        return self.settings.get(GUIDE_NAMES.get(name, name), default)


GUIDE_NAMES = {"model": "default_model", "steps": "default_steps", "image_model": "default_model"}
"""Our setting names and the backend guide's (its admin table's ``settings`` column)."""

OFFLINE = ProviderConfig(name="offline", kind="offline")

_LIST = TypeAdapter(list[ProviderConfig])


def load_provider_configs() -> list[ProviderConfig]:
    """From ``VP_PROVIDERS`` or ``VP_PROVIDERS_FILE``; the offline provider alone by default."""
    text = os.environ.get("VP_PROVIDERS")
    path = os.environ.get("VP_PROVIDERS_FILE")
    if path:
        text = Path(path).read_text(encoding="utf-8")
    if not text:
        return [OFFLINE]
    configs = _LIST.validate_python(json.loads(text))
    names = [config.name for config in configs]
    if len(set(names)) != len(names):
        raise ValueError(f"provider names must be unique: {names}")
    return configs


_IMAGE_KINDS = ("offline", "stability", "replicate")
_VIDEO_KINDS = ("runway", "replicate")


def prices(configs: list[ProviderConfig]) -> ProviderCosts:
    """What estimates should count: the first active image provider's price per image and
    the first active video provider's price per second."""
    active = [config for config in configs if config.is_active]
    image = next(
        (config.cost_per_image for config in active if config.kind in _IMAGE_KINDS), Decimal(0)
    )
    video = next(
        (config.cost_per_second_video for config in active if config.kind in _VIDEO_KINDS),
        Decimal(0),
    )
    return ProviderCosts(cost_per_image=image, cost_per_video_second=video)
