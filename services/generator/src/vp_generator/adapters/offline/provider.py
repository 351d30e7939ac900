"""The built-in provider: the procedural painter and the offline voices, no network, no key,
no cost."""

from __future__ import annotations

import asyncio
from decimal import Decimal

from vp_runtime.providers.base import (
    Capability,
    Generated,
    ImageRequest,
    Provider,
    SpeechRequest,
    Voice,
)
from vp_runtime.providers.config import ProviderConfig

from vp_generator.adapters.offline.painter import paint_background, paint_character
from vp_generator.adapters.offline.speech import OfflineVoices
from vp_generator.domain.layers import png

MODEL = "painter-1"


class OfflineProvider(Provider):
    capabilities = frozenset({Capability.IMAGE, Capability.NARRATION})
    transparent_layers = True

    def __init__(self, config: ProviderConfig, engine: str = "auto") -> None:
        self.name = config.name
        self.model = MODEL
        self._voices = OfflineVoices(config.name, engine)

    async def generate_image(self, request: ImageRequest, call_key: str) -> Generated:
        def paint() -> bytes:
            if request.transparent:
                image = paint_character(
                    request.prompt,
                    request.action,
                    request.style,
                    request.seed,
                    request.width,
                    request.height,
                )
            else:
                image = paint_background(
                    request.prompt, request.style, request.seed, request.width, request.height
                )
            return png(image)

        data = await asyncio.to_thread(paint)
        return Generated(data, "image/png", Decimal(0), 1)

    async def speak(self, request: SpeechRequest, call_key: str) -> Generated:
        data = await asyncio.to_thread(self._voices.speak, request)
        return Generated(data, "audio/wav", Decimal(0), len(request.text))

    def voices(self, language: str | None = None) -> list[Voice]:
        return self._voices.voices(language)
