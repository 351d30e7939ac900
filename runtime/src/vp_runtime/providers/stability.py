"""Stability AI: SDXL text-to-image (v1 REST API), synchronous, one image per call."""

from __future__ import annotations

import base64
from decimal import Decimal

import httpx
from vp_contracts.values import Style

from vp_runtime.providers import http
from vp_runtime.providers.base import (
    Capability,
    ContentRefused,
    Generated,
    ImageRequest,
    Provider,
    ProviderRejected,
)
from vp_runtime.providers.config import ProviderConfig

SDXL_SIZES = [
    (1024, 1024),
    (1152, 896),
    (896, 1152),
    (1216, 832),
    (832, 1216),
    (1344, 768),
    (768, 1344),
    (1536, 640),
    (640, 1536),
]
"""The only sizes SDXL 1.0 accepts."""

STYLE_PRESETS = {
    Style.REALISTIC: "photographic",
    Style.CINEMATIC: "cinematic",
    Style.ANIME: "anime",
    Style.CARTOON: "comic-book",
    Style.WATERCOLOR: "digital-art",
    Style.OIL_PAINTING: "analog-film",
    Style.PIXEL_ART: "pixel-art",
    Style.NOIR: "cinematic",
    Style.FANTASY: "fantasy-art",
}


def sdxl_size(width: int, height: int) -> tuple[int, int]:
    """The accepted size closest in shape to ``width`` x ``height``."""
    ratio = width / height
    return min(SDXL_SIZES, key=lambda size: abs(size[0] / size[1] - ratio))


def _filtered(response: httpx.Response) -> bool:
    return "invalid_prompts" in response.text or "content_moderation" in response.text


class StabilityProvider(Provider):
    capabilities = frozenset({Capability.IMAGE})

    def __init__(self, config: ProviderConfig) -> None:
        key = config.api_key()
        if key is None:
            raise ProviderRejected(f"{config.name}: set {config.api_key_env or 'STABILITY_AI_KEY'}")
        self.name = config.name
        self.model = str(config.setting("model", "stable-diffusion-xl-1024-v1-0"))
        self._config = config
        self._http = http.client(
            str(config.setting("base_url", "https://api.stability.ai")),
            {"Authorization": f"Bearer {key.get_secret_value()}", "Accept": "application/json"},
        )

    async def generate_image(self, request: ImageRequest, call_key: str) -> Generated:
        width, height = sdxl_size(request.width, request.height)
        prompts = [{"text": request.prompt[:2000], "weight": 1}]
        if request.negative_prompt:
            prompts.append({"text": request.negative_prompt[:2000], "weight": -1})
        body = {
            "text_prompts": prompts,
            "cfg_scale": self._config.setting("cfg_scale", 7),
            "width": width,
            "height": height,
            "steps": int(self._config.setting("steps", request.steps)),
            "samples": 1,
            "seed": request.seed,
            "style_preset": STYLE_PRESETS[request.style],
        }
        response = await http.send(
            self._http,
            "POST",
            f"/v1/generation/{self.model}/text-to-image",
            self.name,
            _filtered,
            json=body,
        )
        artifact = response.json()["artifacts"][0]
        if artifact.get("finishReason") == "CONTENT_FILTERED":
            raise ContentRefused(f"{self.name}: the image was blocked by the content filter")
        data = base64.b64decode(artifact["base64"])
        return Generated(data, "image/png", self.estimate_cost(Capability.IMAGE, 1), 1)

    def estimate_cost(self, capability: Capability, units: float) -> Decimal:
        return self._config.cost_per_image * Decimal(str(units))

    async def close(self) -> None:
        await self._http.aclose()
