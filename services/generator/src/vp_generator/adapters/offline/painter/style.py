"""Styles as a last pass over a painting: grading, paper, vignette, strokes."""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageChops, ImageEnhance, ImageFilter, ImageOps
from vp_contracts.values import Style

from vp_generator.adapters.offline.painter.palette import seeded


def stylize(image: Image.Image, style: Style, seed: int) -> Image.Image:
    """Give an RGB or RGBA image the look of ``style`` (transparency is kept)."""
    alpha = image.getchannel("A") if image.mode == "RGBA" else None
    rgb = image.convert("RGB")
    if style == Style.CINEMATIC:
        rgb = _grade(rgb, (1.06, 1.0, 0.92), (0.92, 1.0, 1.08))
        rgb = ImageEnhance.Contrast(rgb).enhance(1.12)
    elif style == Style.ANIME:
        rgb = ImageEnhance.Color(rgb).enhance(1.35)
        rgb = ImageOps.posterize(rgb, 5)
    elif style == Style.CARTOON:
        rgb = ImageEnhance.Color(rgb).enhance(1.3)
        edges = (
            rgb.convert("L").filter(ImageFilter.FIND_EDGES).point(lambda v: 0 if v > 40 else 255)
        )
        rgb = ImageChops.multiply(rgb, Image.merge("RGB", (edges, edges, edges)))
    elif style == Style.WATERCOLOR:
        rgb = rgb.filter(ImageFilter.GaussianBlur(radius=max(1, rgb.width // 500)))
        rgb = ImageEnhance.Color(rgb).enhance(0.8)
        rgb = _paper(rgb, seed, 10)
    elif style == Style.OIL_PAINTING:
        rgb = rgb.filter(ImageFilter.ModeFilter(size=5))
        rgb = _paper(rgb, seed, 8)
    elif style == Style.PIXEL_ART:
        small = (max(1, rgb.width // 6), max(1, rgb.height // 6))
        rgb = (
            rgb.resize(small, Image.Resampling.BOX)
            .quantize(32, dither=Image.Dither.NONE)
            .convert("RGB")
        )
        rgb = rgb.resize(image.size, Image.Resampling.NEAREST)
        if alpha is not None:
            alpha = (
                alpha.resize(small, Image.Resampling.BOX)
                .point(lambda v: 255 if v > 127 else 0)
                .resize(image.size, Image.Resampling.NEAREST)
            )
    elif style == Style.NOIR:
        rgb = ImageOps.autocontrast(ImageOps.grayscale(rgb), cutoff=1).convert("RGB")
        rgb = ImageEnhance.Contrast(rgb).enhance(1.3)
    elif style == Style.FANTASY:
        rgb = _grade(rgb, (1.05, 0.92, 1.12), (0.9, 1.05, 1.15))
        glow = rgb.filter(ImageFilter.GaussianBlur(radius=max(2, rgb.width // 120)))
        rgb = ImageChops.screen(rgb, ImageEnhance.Brightness(glow).enhance(0.35))
    if alpha is None:
        return (
            _vignette(rgb)
            if style in (Style.CINEMATIC, Style.NOIR, Style.REALISTIC, Style.FANTASY)
            else rgb
        )
    rgb.putalpha(alpha)
    return rgb


def _grade(
    image: Image.Image, shadows: tuple[float, float, float], highlights: tuple[float, float, float]
) -> Image.Image:
    array = np.asarray(image, np.float32) / 255
    luma = array.mean(axis=2, keepdims=True)
    gain = np.array(shadows, np.float32) * (1 - luma) + np.array(highlights, np.float32) * luma
    return Image.fromarray(np.clip(array * gain * 255, 0, 255).astype(np.uint8))


def _paper(image: Image.Image, seed: int, strength: float) -> Image.Image:
    rng = seeded("paper", seed, image.size)
    noise = rng.normal(0, strength, (image.height, image.width, 1)).astype(np.float32)
    return Image.fromarray(np.clip(np.asarray(image, np.float32) + noise, 0, 255).astype(np.uint8))


def _vignette(image: Image.Image) -> Image.Image:
    w, h = image.size
    y, x = np.ogrid[:h, :w]
    distance = ((x - w / 2) / (w / 2)) ** 2 + ((y - h / 2) / (h / 2)) ** 2
    mask = np.clip(1 - 0.22 * distance, 0.6, 1).astype(np.float32)[..., None]
    return Image.fromarray(np.clip(np.asarray(image, np.float32) * mask, 0, 255).astype(np.uint8))
