"""The built-in image provider: the procedural painter, no network, no key, no cost."""

from __future__ import annotations

import asyncio
import io
from decimal import Decimal

from PIL import Image
from vp_runtime.providers.base import Capability, Generated, ImageRequest, Provider
from vp_runtime.providers.config import ProviderConfig

from vp_generator.adapters.offline.painter import paint_background, paint_character

MODEL = "painter-1"


def png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "PNG", compress_level=3)
    return buffer.getvalue()


class OfflineImageProvider(Provider):
    capabilities = frozenset({Capability.IMAGE})
    transparent_layers = True

    def __init__(self, config: ProviderConfig) -> None:
        self.name = config.name
        self.model = MODEL

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
