"""Image layers in bytes: PNG encoding, and cutting a character out of a cloud provider's
image (the prompt asks for a plain green background; every pixel close to the border's colour
becomes transparent)."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image, ImageFilter


def png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "PNG", compress_level=3)
    return buffer.getvalue()


def key_out_background(data: bytes, tolerance: float = 60.0, softness: float = 30.0) -> bytes:
    """PNG with alpha: pixels near the dominant border colour fade out."""
    image = Image.open(io.BytesIO(data)).convert("RGB")
    pixels = np.asarray(image, np.float32)
    border = np.concatenate([pixels[0], pixels[-1], pixels[:, 0], pixels[:, -1]])
    key = np.median(border, axis=0)
    distance = np.sqrt(((pixels - key) ** 2).sum(axis=2))
    alpha = np.clip((distance - tolerance) / softness, 0, 1)
    # Remove the key colour's spill from the edges that stay.
    spill = np.clip(pixels[..., 1] - np.maximum(pixels[..., 0], pixels[..., 2]), 0, None) * (
        1 - alpha
    )
    pixels[..., 1] -= spill
    mask = Image.fromarray((alpha * 255).astype(np.uint8), "L").filter(ImageFilter.GaussianBlur(1))
    out = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8), "RGB")
    out.putalpha(mask)
    buffer = io.BytesIO()
    out.save(buffer, "PNG")
    return buffer.getvalue()


class NotAPicture(ValueError):
    """The bytes are no picture Pillow can read."""


def character_layer(data: bytes) -> bytes:
    """A creator's character picture as a layer: its own transparency when it has some, else
    its plain background keyed out (as for generated characters)."""
    try:
        image = Image.open(io.BytesIO(data))
        image.load()
    except (OSError, Image.DecompressionBombError) as error:
        raise NotAPicture(str(error)) from None
    if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
        rgba = image.convert("RGBA")
        if np.asarray(rgba)[..., 3].min() < 250:  # it says where the subject is itself
            buffer = io.BytesIO()
            rgba.save(buffer, "PNG")
            return buffer.getvalue()
    return key_out_background(data)
