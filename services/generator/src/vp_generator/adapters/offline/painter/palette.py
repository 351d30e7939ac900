"""What every painting shares: skies and grounds, seeded randomness, mixing and shading
colours, outlines and eyes."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import numpy as np
from PIL import ImageDraw

from vp_generator.adapters.offline.scene_words import Reading

RGB = tuple[int, int, int]
SUPERSAMPLE = 2

SKIES: dict[str, tuple[RGB, RGB, RGB]] = {  # top, horizon, glow
    "day": ((74, 136, 214), (188, 218, 240), (255, 246, 214)),
    "dawn": ((92, 110, 170), (250, 190, 160), (255, 214, 160)),
    "dusk": ((44, 48, 104), (236, 130, 86), (255, 170, 90)),
    "night": ((8, 12, 34), (34, 46, 86), (120, 140, 200)),
}
GROUNDS: dict[str, RGB] = {
    "forest": (44, 84, 52),
    "mountains": (88, 100, 92),
    "water": (60, 110, 130),
    "city": (70, 72, 80),
    "desert": (214, 170, 110),
    "snow": (226, 232, 240),
    "meadow": (96, 150, 72),
    "space": (70, 66, 80),
    "cave": (62, 54, 50),
    "interior": (128, 96, 70),
}


def seeded(*parts: object) -> np.random.Generator:
    digest = hashlib.sha256("|".join(map(str, parts)).encode()).digest()
    return np.random.default_rng(int.from_bytes(digest[:8], "big"))


def mix(a: Sequence[float], b: Sequence[float], t: float) -> RGB:
    return (
        round(a[0] + (b[0] - a[0]) * t),
        round(a[1] + (b[1] - a[1]) * t),
        round(a[2] + (b[2] - a[2]) * t),
    )


def shade(colour: Sequence[float], factor: float) -> RGB:
    return (
        min(255, round(colour[0] * factor)),
        min(255, round(colour[1] * factor)),
        min(255, round(colour[2] * factor)),
    )


def darkness(reading: Reading) -> float:
    return {"night": 0.45, "dusk": 0.75, "dawn": 0.85}.get(reading.time, 1.0)


def outline_of(colour: RGB) -> tuple[int, int, int, int]:
    return (*shade(colour, 0.45), 255)


def eye(draw: ImageDraw.ImageDraw, x: float, y: float, r: float) -> None:
    draw.ellipse((x - r, y - r, x + r, y + r), fill=(252, 252, 248, 255))
    draw.ellipse((x - r * 0.55, y - r * 0.55, x + r * 0.55, y + r * 0.55), fill=(26, 22, 20, 255))
    draw.ellipse((x - r * 0.45, y - r * 0.45, x - r * 0.1, y - r * 0.1), fill=(255, 255, 255, 255))
