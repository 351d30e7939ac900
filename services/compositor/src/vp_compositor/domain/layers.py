"""Preparing scene images for the composer: a cut-out cropped to what it shows (so each frame
overlays a small picture, not a full transparent frame) and checked to be a readable image."""

from __future__ import annotations

from pathlib import Path

from PIL import Image, UnidentifiedImageError

from vp_compositor.domain.timeline import Layer


class BrokenAsset(ValueError):
    """An asset is missing or not a readable image."""


def check_image(path: Path, what: str) -> None:
    try:
        with Image.open(path) as image:
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError) as error:
        raise BrokenAsset(f"{what} is damaged ({error})") from error


def cut_out(path: Path, width: int, height: int, target: Path, what: str) -> Layer | None:
    """Crop the layer to its visible pixels at the frame size; None if it shows nothing."""
    try:
        with Image.open(path) as image:
            layer = image.convert("RGBA")
    except (UnidentifiedImageError, OSError) as error:
        raise BrokenAsset(f"{what} is damaged ({error})") from error
    if layer.size != (width, height):
        layer = layer.resize((width, height), Image.Resampling.LANCZOS)
    box = layer.getchannel("A").getbbox()
    if box is None:
        return None
    left, top, right, bottom = box
    left, top = left - left % 2, top - top % 2  # yuv420 positions are even
    right, bottom = min(width, right + (right - left) % 2), min(height, bottom + (bottom - top) % 2)
    layer.crop((left, top, right, bottom)).save(target, "PNG", compress_level=1)
    return Layer(target.name, left, top)
