"""Backgrounds: sky, light, ground, the things of the setting and its weather, painted from
the words of the prompt."""

from __future__ import annotations

import math

import numpy as np
from PIL import Image, ImageDraw
from vp_contracts.values import Style

from vp_generator.adapters.offline.painter.palette import (
    GROUNDS,
    RGB,
    SKIES,
    SUPERSAMPLE,
    darkness,
    mix,
    seeded,
    shade,
)
from vp_generator.adapters.offline.painter.style import stylize
from vp_generator.adapters.offline.scene_words import Reading, read_background


def paint_background(prompt: str, style: Style, seed: int, width: int, height: int) -> Image.Image:
    """The setting of a scene as an RGB image of ``width`` x ``height``."""
    reading = read_background(prompt)
    rng = seeded("background", prompt, seed)
    w, h = width * SUPERSAMPLE, height * SUPERSAMPLE
    top, horizon, glow = SKIES[reading.time]
    if reading.place == "space":
        top, horizon, glow = (4, 4, 16), (30, 20, 60), (150, 110, 220)
    if reading.rain:
        top, horizon = mix(top, (90, 96, 110), 0.6), mix(horizon, (140, 146, 156), 0.6)
    canvas = _gradient(w, h, top, horizon, glow, rng)
    draw = ImageDraw.Draw(canvas, "RGBA")
    horizon_y = int(h * rng.uniform(0.52, 0.62))
    if reading.place in ("interior", "cave"):
        _room(draw, w, h, reading, rng)
    else:
        _sky_things(draw, canvas, w, horizon_y, reading, rng)
        _landscape(draw, w, h, horizon_y, reading, rng)
    if reading.fog:
        canvas = _fog(canvas, horizon_y, rng)
    if reading.rain:
        _rain(ImageDraw.Draw(canvas, "RGBA"), w, h, rng)
    canvas = canvas.resize((width, height), Image.Resampling.LANCZOS)
    return stylize(canvas, style, seed)


def _gradient(
    w: int, h: int, top: RGB, bottom: RGB, glow: RGB, rng: np.random.Generator
) -> Image.Image:
    # A smooth field: computed small, scaled up.
    sw, sh = max(16, w // 8), max(16, h // 8)
    t = np.linspace(0.0, 1.0, sh, dtype=np.float32)[:, None, None]
    image = np.array(top, np.float32) * (1 - t) + np.array(bottom, np.float32) * t
    cx = rng.uniform(0.2, 0.8) * sw
    x = np.arange(sw, dtype=np.float32)[None, :]
    y = np.arange(sh, dtype=np.float32)[:, None]
    light = np.exp(-(((x - cx) / (0.45 * sw)) ** 2 + ((y - 0.62 * sh) / (0.25 * sh)) ** 2))[
        ..., None
    ]
    image = image * (1 - 0.45 * light) + np.array(glow, np.float32) * 0.45 * light
    small = Image.fromarray(np.clip(image, 0, 255).astype(np.uint8), "RGB")
    return small.resize((w, h), Image.Resampling.BICUBIC)


def _sky_things(
    draw: ImageDraw.ImageDraw,
    canvas: Image.Image,
    w: int,
    horizon: int,
    reading: Reading,
    rng: np.random.Generator,
) -> None:
    if reading.time == "night" or reading.place == "space":
        for _ in range(int(w * 0.12)):
            x, y = rng.uniform(0, w), rng.uniform(0, horizon * 0.95)
            r = rng.uniform(0.8, 2.6)
            draw.ellipse(
                (x - r, y - r, x + r, y + r), fill=(255, 255, 240, int(rng.uniform(120, 255)))
            )
        cx, cy, r = rng.uniform(0.15, 0.85) * w, horizon * rng.uniform(0.2, 0.45), w * 0.035
        for k in range(8, 0, -1):
            draw.ellipse(
                (
                    cx - r * (1 + k * 0.4),
                    cy - r * (1 + k * 0.4),
                    cx + r * (1 + k * 0.4),
                    cy + r * (1 + k * 0.4),
                ),
                fill=(200, 210, 255, 7),
            )
        draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=(244, 242, 226, 255))
        draw.ellipse((cx - r * 0.5, cy - r * 0.3, cx - r * 0.2, cy), fill=(222, 220, 206, 255))
    else:
        low = reading.time in ("dusk", "dawn")
        cx = rng.uniform(0.2, 0.8) * w
        cy = horizon * (rng.uniform(0.65, 0.85) if low else rng.uniform(0.15, 0.35))
        r = w * (0.06 if low else 0.035)
        colour = (255, 196, 120) if low else (255, 250, 226)
        for k in range(10, 0, -1):
            draw.ellipse(
                (
                    cx - r * (1 + k * 0.5),
                    cy - r * (1 + k * 0.5),
                    cx + r * (1 + k * 0.5),
                    cy + r * (1 + k * 0.5),
                ),
                fill=(*colour, 8),
            )
        draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=(*colour, 255))
        _clouds(draw, w, horizon, reading, rng)


def _clouds(
    draw: ImageDraw.ImageDraw, w: int, horizon: int, reading: Reading, rng: np.random.Generator
) -> None:
    tint = {"dusk": (255, 186, 170), "dawn": (255, 220, 214)}.get(reading.time, (255, 255, 255))
    for _ in range(int(rng.integers(3, 7))):
        cx, cy = rng.uniform(-0.1, 1.1) * w, rng.uniform(0.08, 0.55) * horizon
        size = rng.uniform(0.06, 0.14) * w
        for _ in range(7):
            dx, dy = rng.normal(0, size * 0.7), rng.normal(0, size * 0.15)
            rx, ry = size * rng.uniform(0.5, 1.0), size * rng.uniform(0.25, 0.45)
            draw.ellipse((cx + dx - rx, cy + dy - ry, cx + dx + rx, cy + dy + ry), fill=(*tint, 60))


def _ridge(
    w: int, base: float, amplitude: float, roughness: float, rng: np.random.Generator
) -> list[tuple[float, float]]:
    xs = np.linspace(-0.05 * w, 1.05 * w, 80)
    ys = np.full_like(xs, base)
    for octave in range(1, 6):
        phase, frequency = rng.uniform(0, 2 * math.pi), rng.uniform(0.8, 1.6) * octave
        ys -= amplitude / octave**roughness * np.sin(xs / w * 2 * math.pi * frequency + phase)
    return list(zip(xs.tolist(), ys.tolist(), strict=True))


def _landscape(
    draw: ImageDraw.ImageDraw,
    w: int,
    h: int,
    horizon: int,
    reading: Reading,
    rng: np.random.Generator,
) -> None:
    ground = shade(GROUNDS[reading.place], darkness(reading))
    _, sky_low, _ = SKIES[reading.time]
    layers = 3 if reading.place in ("mountains", "forest", "snow") else 2
    for layer in range(layers):
        depth = (layers - layer) / (layers + 1)  # far layers are hazier
        colour = mix(ground, sky_low, depth * 0.75)
        amplitude = (
            h * (0.10 if reading.place in ("mountains", "snow") else 0.04) * (1.4 - layer * 0.3)
        )
        base = horizon + layer * h * 0.05
        ridge = _ridge(w, base, amplitude, 1.2 if reading.place == "mountains" else 1.8, rng)
        draw.polygon([*ridge, (w * 1.05, h), (-0.05 * w, h)], fill=colour)
        if reading.place in ("mountains", "snow") and layer == 0:
            _snow_caps(draw, ridge, amplitude, rng)
        if reading.place == "forest":
            _trees(draw, ridge, h, colour, layer, rng)
        if reading.place == "city" and layer == 0:
            _skyline(draw, w, base, h, reading, rng)
    if reading.place == "water":
        _water(draw, w, h, horizon, reading, rng)
    if reading.place == "meadow":
        _flowers(draw, w, h, horizon, reading, rng)
    if reading.place == "desert":
        _dunes(draw, w, h, horizon, ground, rng)


def _snow_caps(
    draw: ImageDraw.ImageDraw,
    ridge: list[tuple[float, float]],
    amplitude: float,
    rng: np.random.Generator,
) -> None:
    peak_line = min(y for _, y in ridge) + amplitude * 0.45
    cap = [(x, y) for x, y in ridge if y < peak_line]
    for x, y in cap[::2]:
        draw.polygon(
            [(x - 12, y + 4), (x, y - 2), (x + 12, y + 4), (x, peak_line - (peak_line - y) * 0.3)],
            fill=(244, 246, 250, 220),
        )


def _trees(
    draw: ImageDraw.ImageDraw,
    ridge: list[tuple[float, float]],
    h: int,
    colour: RGB,
    layer: int,
    rng: np.random.Generator,
) -> None:
    dark = shade(colour, 0.72)
    size = h * (0.05 + 0.05 * layer)
    step = max(2, int(len(ridge) / (16 + 10 * (2 - layer))))
    for x, y in ridge[::step]:
        for _ in range(2):
            tx = x + rng.uniform(-size, size)
            height = size * rng.uniform(1.6, 2.6)
            width = height * rng.uniform(0.32, 0.42)
            base = y + rng.uniform(0.0, size * 0.4)
            for tier in range(3):
                top = base - height * (1 - tier * 0.25)
                bottom = base - height * 0.25 * (2 - tier)
                draw.polygon(
                    [
                        (tx, top),
                        (tx - width * (0.6 + tier * 0.2), bottom),
                        (tx + width * (0.6 + tier * 0.2), bottom),
                    ],
                    fill=dark,
                )
            draw.rectangle(
                (tx - width * 0.08, base - height * 0.1, tx + width * 0.08, base + size * 0.2),
                fill=shade(dark, 0.6),
            )


def _skyline(
    draw: ImageDraw.ImageDraw,
    w: int,
    base: float,
    h: int,
    reading: Reading,
    rng: np.random.Generator,
) -> None:
    x = -0.02 * w
    lit = reading.time in ("night", "dusk")
    while x < w:
        bw, bh = rng.uniform(0.04, 0.09) * w, rng.uniform(0.12, 0.32) * h
        colour = shade((64, 66, 84), darkness(reading) * rng.uniform(0.8, 1.2))
        draw.rectangle((x, base - bh, x + bw, base + h * 0.02), fill=colour)
        for wy in np.arange(base - bh + bw * 0.12, base - bw * 0.1, bw * 0.2):
            for wx in np.arange(x + bw * 0.12, x + bw - bw * 0.15, bw * 0.22):
                on = rng.random() < (0.55 if lit else 0.15)
                fill = (255, 214, 130, 230) if on else (*shade(colour, 0.75), 255)
                draw.rectangle((wx, wy, wx + bw * 0.1, wy + bw * 0.12), fill=fill)
        x += bw + rng.uniform(0.0, 0.02) * w


def _water(
    draw: ImageDraw.ImageDraw,
    w: int,
    h: int,
    horizon: int,
    reading: Reading,
    rng: np.random.Generator,
) -> None:
    top, low, glow = SKIES[reading.time]
    band = horizon + h * 0.08
    for i in range(40):
        t = i / 40
        y0, y1 = band + (h - band) * t, band + (h - band) * (t + 1 / 40)
        draw.rectangle((0, y0, w, y1), fill=(*mix(shade(low, 0.8), shade(top, 0.7), t), 255))
    for _ in range(int(w * 0.05)):
        x, y = rng.uniform(0, w), rng.uniform(band, h)
        length = w * rng.uniform(0.01, 0.05) * (y - band) / (h - band + 1)
        draw.line((x - length, y, x + length, y), fill=(*glow, 70), width=2)


def _flowers(
    draw: ImageDraw.ImageDraw,
    w: int,
    h: int,
    horizon: int,
    reading: Reading,
    rng: np.random.Generator,
) -> None:
    petals = (
        [reading.accent]
        if reading.accent
        else [(236, 196, 62), (226, 120, 160), (240, 240, 240), (140, 88, 196)]
    )
    for _ in range(int(w * 0.06)):
        y = rng.uniform(horizon + h * 0.1, h)
        r = 2 + 6 * (y - horizon) / h
        x = rng.uniform(0, w)
        colour = petals[int(rng.integers(0, len(petals)))]
        draw.ellipse((x - r, y - r, x + r, y + r), fill=(*shade(colour, darkness(reading)), 230))


def _dunes(
    draw: ImageDraw.ImageDraw, w: int, h: int, horizon: int, ground: RGB, rng: np.random.Generator
) -> None:
    for k in range(3):
        ridge = _ridge(w, horizon + h * (0.12 + 0.1 * k), h * 0.03, 2.5, rng)
        draw.line(ridge, fill=(*shade(ground, 1.15), 160), width=max(2, w // 400))


def _room(
    draw: ImageDraw.ImageDraw, w: int, h: int, reading: Reading, rng: np.random.Generator
) -> None:
    wall = shade(
        reading.accent or ((196, 170, 140) if reading.place == "interior" else (80, 70, 64)),
        darkness(reading),
    )
    floor_y = h * 0.68
    draw.rectangle((0, 0, w, floor_y), fill=wall)
    draw.rectangle((0, floor_y, w, h), fill=shade(GROUNDS[reading.place], darkness(reading)))
    for x in np.arange(0, w, w / 10):
        draw.line((x, floor_y, x + (x - w / 2) * 0.6, h), fill=(*shade(wall, 0.7), 90), width=3)
    if reading.place == "interior":
        wx = rng.uniform(0.15, 0.6) * w
        window = (wx, h * 0.16, wx + w * 0.22, h * 0.5)
        draw.rectangle(
            window, fill=SKIES[reading.time][1], outline=shade(wall, 0.55), width=max(4, w // 200)
        )
        draw.line(
            ((window[0] + window[2]) / 2, window[1], (window[0] + window[2]) / 2, window[3]),
            fill=shade(wall, 0.55),
            width=max(3, w // 300),
        )
    else:
        for _ in range(14):
            x = rng.uniform(0, w)
            length = rng.uniform(0.05, 0.2) * h
            draw.polygon([(x - 18, 0), (x + 18, 0), (x, length)], fill=shade(wall, 0.7))


def _fog(canvas: Image.Image, horizon: int, rng: np.random.Generator) -> Image.Image:
    w, h = canvas.size
    sw, sh = max(16, w // 32), max(16, h // 32)
    y = np.linspace(0, h, sh, dtype=np.float32)[:, None]
    density = np.clip(1 - np.abs(y - horizon) / (0.35 * h), 0, 1) ** 1.5 * 0.55
    alpha = np.clip(density + rng.normal(0, 0.05, (sh, sw)).astype(np.float32), 0, 0.7)
    mask = Image.fromarray((alpha * 255).astype(np.uint8), "L").resize(
        (w, h), Image.Resampling.BICUBIC
    )
    return Image.composite(Image.new("RGB", (w, h), (232, 232, 232)), canvas, mask)


def _rain(draw: ImageDraw.ImageDraw, w: int, h: int, rng: np.random.Generator) -> None:
    for _ in range(int(w * 0.25)):
        x, y = rng.uniform(0, w), rng.uniform(0, h)
        draw.line((x, y, x - 6, y + 30), fill=(200, 210, 230, 70), width=2)
