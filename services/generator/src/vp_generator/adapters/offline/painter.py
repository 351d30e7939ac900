"""A deterministic procedural painter: a background per prompt and a cut-out character.

Vector shapes drawn at twice the size and scaled down (anti-aliased), numpy for gradients and
noise, Pillow filters for the styles. The same prompt, seed and size always give the same
pixels; another seed moves the hills, trees, clouds and stars; the character's look depends
only on its description (so it stays the same in every scene), its pose on the action.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence

import numpy as np
from PIL import Image, ImageChops, ImageDraw, ImageEnhance, ImageFilter, ImageOps
from vp_contracts.values import Style

from vp_generator.adapters.offline.scene_words import Figure, Reading, read_background, read_figure

RGB = tuple[int, int, int]
SUPERSAMPLE = 2

_SKIES: dict[str, tuple[RGB, RGB, RGB]] = {  # top, horizon, glow
    "day": ((74, 136, 214), (188, 218, 240), (255, 246, 214)),
    "dawn": ((92, 110, 170), (250, 190, 160), (255, 214, 160)),
    "dusk": ((44, 48, 104), (236, 130, 86), (255, 170, 90)),
    "night": ((8, 12, 34), (34, 46, 86), (120, 140, 200)),
}
_GROUND: dict[str, RGB] = {
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


def _rng(*parts: object) -> np.random.Generator:
    digest = hashlib.sha256("|".join(map(str, parts)).encode()).digest()
    return np.random.default_rng(int.from_bytes(digest[:8], "big"))


def _mix(a: Sequence[float], b: Sequence[float], t: float) -> RGB:
    return (
        round(a[0] + (b[0] - a[0]) * t),
        round(a[1] + (b[1] - a[1]) * t),
        round(a[2] + (b[2] - a[2]) * t),
    )


def _shade(colour: Sequence[float], factor: float) -> RGB:
    return (
        min(255, round(colour[0] * factor)),
        min(255, round(colour[1] * factor)),
        min(255, round(colour[2] * factor)),
    )


def _night(reading: Reading) -> float:
    return {"night": 0.45, "dusk": 0.75, "dawn": 0.85}.get(reading.time, 1.0)


# -- background ---------------------------------------------------------------------------


def paint_background(prompt: str, style: Style, seed: int, width: int, height: int) -> Image.Image:
    """The setting of a scene as an RGB image of ``width`` x ``height``."""
    reading = read_background(prompt)
    rng = _rng("background", prompt, seed)
    w, h = width * SUPERSAMPLE, height * SUPERSAMPLE
    top, horizon, glow = _SKIES[reading.time]
    if reading.place == "space":
        top, horizon, glow = (4, 4, 16), (30, 20, 60), (150, 110, 220)
    if reading.rain:
        top, horizon = _mix(top, (90, 96, 110), 0.6), _mix(horizon, (140, 146, 156), 0.6)
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
    ground = _shade(_GROUND[reading.place], _night(reading))
    _, sky_low, _ = _SKIES[reading.time]
    layers = 3 if reading.place in ("mountains", "forest", "snow") else 2
    for layer in range(layers):
        depth = (layers - layer) / (layers + 1)  # far layers are hazier
        colour = _mix(ground, sky_low, depth * 0.75)
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
    dark = _shade(colour, 0.72)
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
                fill=_shade(dark, 0.6),
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
        colour = _shade((64, 66, 84), _night(reading) * rng.uniform(0.8, 1.2))
        draw.rectangle((x, base - bh, x + bw, base + h * 0.02), fill=colour)
        for wy in np.arange(base - bh + bw * 0.12, base - bw * 0.1, bw * 0.2):
            for wx in np.arange(x + bw * 0.12, x + bw - bw * 0.15, bw * 0.22):
                on = rng.random() < (0.55 if lit else 0.15)
                fill = (255, 214, 130, 230) if on else (*_shade(colour, 0.75), 255)
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
    top, low, glow = _SKIES[reading.time]
    band = horizon + h * 0.08
    for i in range(40):
        t = i / 40
        y0, y1 = band + (h - band) * t, band + (h - band) * (t + 1 / 40)
        draw.rectangle((0, y0, w, y1), fill=(*_mix(_shade(low, 0.8), _shade(top, 0.7), t), 255))
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
        draw.ellipse((x - r, y - r, x + r, y + r), fill=(*_shade(colour, _night(reading)), 230))


def _dunes(
    draw: ImageDraw.ImageDraw, w: int, h: int, horizon: int, ground: RGB, rng: np.random.Generator
) -> None:
    for k in range(3):
        ridge = _ridge(w, horizon + h * (0.12 + 0.1 * k), h * 0.03, 2.5, rng)
        draw.line(ridge, fill=(*_shade(ground, 1.15), 160), width=max(2, w // 400))


def _room(
    draw: ImageDraw.ImageDraw, w: int, h: int, reading: Reading, rng: np.random.Generator
) -> None:
    wall = _shade(
        reading.accent or ((196, 170, 140) if reading.place == "interior" else (80, 70, 64)),
        _night(reading),
    )
    floor_y = h * 0.68
    draw.rectangle((0, 0, w, floor_y), fill=wall)
    draw.rectangle((0, floor_y, w, h), fill=_shade(_GROUND[reading.place], _night(reading)))
    for x in np.arange(0, w, w / 10):
        draw.line((x, floor_y, x + (x - w / 2) * 0.6, h), fill=(*_shade(wall, 0.7), 90), width=3)
    if reading.place == "interior":
        wx = rng.uniform(0.15, 0.6) * w
        window = (wx, h * 0.16, wx + w * 0.22, h * 0.5)
        draw.rectangle(
            window, fill=_SKIES[reading.time][1], outline=_shade(wall, 0.55), width=max(4, w // 200)
        )
        draw.line(
            ((window[0] + window[2]) / 2, window[1], (window[0] + window[2]) / 2, window[3]),
            fill=_shade(wall, 0.55),
            width=max(3, w // 300),
        )
    else:
        for _ in range(14):
            x = rng.uniform(0, w)
            length = rng.uniform(0.05, 0.2) * h
            draw.polygon([(x - 18, 0), (x + 18, 0), (x, length)], fill=_shade(wall, 0.7))


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


# -- character -----------------------------------------------------------------------------


def paint_character(
    character: str, action: str, style: Style, seed: int, width: int, height: int
) -> Image.Image:
    """The character as an RGBA image of ``width`` x ``height``: transparent around it."""
    figure = read_figure(character, action)
    look = _rng("look", character)  # the same description looks the same in every scene
    pose = _rng("pose", action, seed)
    w, h = width * SUPERSAMPLE, height * SUPERSAMPLE
    layer = Image.new("RGBA", (w, h), (0, 0, 0, 0))
    draw = ImageDraw.Draw(layer, "RGBA")
    size = h * (0.42 if figure.creature == "person" or figure.creature == "robot" else 0.3)
    cx = w * (0.5 + pose.uniform(-0.12, 0.12))
    ground = h * 0.9
    lift = size * (0.35 if figure.pose == "jump" else 0.6 if figure.pose == "fly" else 0.0)
    draw.ellipse(
        (cx - size * 0.5, ground - size * 0.06, cx + size * 0.5, ground + size * 0.06),
        fill=(0, 0, 0, 70 if not lift else 35),
    )
    facing = 1 if pose.random() < 0.5 else -1
    if figure.creature in ("person", "robot"):
        _humanoid(draw, figure, cx, ground - lift, size, facing, look, pose)
    elif figure.creature in ("bird", "dragon"):
        _winged(draw, figure, cx, ground - lift - size * 0.4, size, facing, look)
    else:
        _quadruped(draw, figure, cx, ground - lift, size, facing, look, pose)
    layer = layer.resize((width, height), Image.Resampling.LANCZOS)
    return stylize(layer, style, seed)


def _outline(colour: RGB) -> tuple[int, int, int, int]:
    return (*_shade(colour, 0.45), 255)


def _quadruped(
    draw: ImageDraw.ImageDraw,
    f: Figure,
    cx: float,
    ground: float,
    size: float,
    facing: int,
    look: np.random.Generator,
    pose: np.random.Generator,
) -> None:
    fur, belly = f.colour, _mix(f.colour, (250, 244, 232), 0.65)
    line = _outline(fur)
    body_w, body_h = size * 0.95, size * 0.42
    top = ground - size * 0.78
    stride = {"run": 0.35, "walk": 0.18, "jump": 0.3}.get(f.pose, 0.05) * size
    for i, dx in enumerate((-0.32, -0.18, 0.2, 0.34)):
        swing = stride * (1 if i % 2 else -1) * pose.uniform(0.7, 1.0)
        x = cx + dx * body_w
        draw.line(
            (x, top + body_h * 0.7, x + swing * facing, ground),
            fill=(*_shade(fur, 0.8), 255),
            width=max(3, int(size * 0.07)),
        )
    tail_x, tail_y = cx - facing * body_w * 0.42, top + body_h * 0.3
    bushy = f.creature in ("fox", "cat", "dog")
    for k in range(7):  # a curved, thickening tail made of overlapping puffs
        t = k / 6
        px = tail_x - facing * size * 0.5 * t
        py = tail_y - size * 0.28 * math.sin(t * math.pi * 0.9)
        r = size * (0.05 + (0.09 if bushy else 0.03) * math.sin(t * math.pi * 0.85))
        tip = f.creature == "fox" and k >= 5
        draw.ellipse(
            (px - r, py - r, px + r, py + r), fill=((248, 246, 240, 255) if tip else (*fur, 255))
        )
    draw.ellipse(
        (cx - body_w / 2, top, cx + body_w / 2, top + body_h),
        fill=(*fur, 255),
        outline=line,
        width=2,
    )
    draw.ellipse(
        (cx - body_w * 0.3, top + body_h * 0.45, cx + body_w * 0.3, top + body_h * 0.95),
        fill=(*belly, 255),
    )
    hx, hy, hr = cx + facing * body_w * 0.52, top - size * 0.08, size * 0.24
    draw.polygon(
        [
            (hx - hr * 0.8, hy - hr * 0.4),
            (hx - hr * 0.45, hy - hr * 1.6),
            (hx - hr * 0.05, hy - hr * 0.6),
        ],
        fill=(*fur, 255),
        outline=line,
    )
    draw.polygon(
        [
            (hx + hr * 0.8, hy - hr * 0.4),
            (hx + hr * 0.45, hy - hr * 1.6),
            (hx + hr * 0.05, hy - hr * 0.6),
        ],
        fill=(*fur, 255),
        outline=line,
    )
    if f.creature == "rabbit":
        for side in (-1, 1):
            draw.ellipse(
                (
                    hx + side * hr * 0.45 - hr * 0.2,
                    hy - hr * 2.4,
                    hx + side * hr * 0.45 + hr * 0.2,
                    hy - hr * 0.5,
                ),
                fill=(*fur, 255),
                outline=line,
            )
    draw.ellipse((hx - hr, hy - hr, hx + hr, hy + hr), fill=(*fur, 255), outline=line, width=2)
    snout = [
        (hx + facing * hr * 0.5, hy - hr * 0.2),
        (hx + facing * hr * 1.55, hy + hr * 0.25),
        (hx + facing * hr * 0.45, hy + hr * 0.65),
    ]
    draw.polygon(snout, fill=(*belly, 255), outline=line)
    draw.ellipse(
        (
            hx + facing * hr * 1.45 - hr * 0.12,
            hy + hr * 0.12,
            hx + facing * hr * 1.45 + hr * 0.12,
            hy + hr * 0.36,
        ),
        fill=(30, 24, 24, 255),
    )
    _eye(draw, hx + facing * hr * 0.35, hy - hr * 0.2, hr * 0.2)
    mouth = (hx + facing * hr * 1.2, hy + hr * 0.55)
    _wearables(draw, f, hx, hy + hr * 0.9, hr * 1.6, facing, size, look, hand=mouth)


def _winged(
    draw: ImageDraw.ImageDraw,
    f: Figure,
    cx: float,
    cy: float,
    size: float,
    facing: int,
    look: np.random.Generator,
) -> None:
    body = f.colour
    line = _outline(body)
    span = size * (1.3 if f.creature == "dragon" else 0.9)
    for side in (-1, 1):
        draw.polygon(
            [
                (cx, cy - size * 0.05),
                (cx + side * span, cy - size * 0.45),
                (cx + side * span * 0.7, cy + size * 0.1),
            ],
            fill=(*_shade(body, 0.85), 255),
            outline=line,
        )
    draw.ellipse(
        (cx - size * 0.32, cy - size * 0.2, cx + size * 0.32, cy + size * 0.25),
        fill=(*body, 255),
        outline=line,
        width=2,
    )
    hx, hy, hr = cx + facing * size * 0.3, cy - size * 0.25, size * 0.17
    draw.ellipse((hx - hr, hy - hr, hx + hr, hy + hr), fill=(*body, 255), outline=line, width=2)
    draw.polygon(
        [
            (hx + facing * hr * 0.8, hy - hr * 0.2),
            (hx + facing * hr * 1.7, hy + hr * 0.15),
            (hx + facing * hr * 0.8, hy + hr * 0.4),
        ],
        fill=(236, 176, 60, 255),
    )
    _eye(draw, hx + facing * hr * 0.3, hy - hr * 0.2, hr * 0.28)


def _humanoid(
    draw: ImageDraw.ImageDraw,
    f: Figure,
    cx: float,
    ground: float,
    size: float,
    facing: int,
    look: np.random.Generator,
    pose: np.random.Generator,
) -> None:
    robot = f.creature == "robot"
    skin = (
        (190, 196, 206)
        if robot
        else [(241, 200, 170), (214, 160, 120), (160, 110, 78), (108, 72, 52)][
            int(look.integers(0, 4))
        ]
    )
    clothes = f.colour
    trousers = _shade(clothes, 0.55) if not robot else _shade(skin, 0.8)
    hair = [(40, 30, 24), (110, 70, 40), (200, 160, 90), (30, 30, 34), (150, 60, 40)][
        int(look.integers(0, 5))
    ]
    head_r = size * 0.11
    hip_y, shoulder_y = ground - size * 0.45, ground - size * 0.82
    stride = (
        {"run": 0.28, "walk": 0.16, "jump": 0.2}.get(f.pose, 0.03) * size * pose.uniform(0.8, 1.0)
    )
    limb = max(3, int(size * 0.07))
    if f.pose == "sit":
        hip_y = ground - size * 0.28
        draw.line(
            (
                cx - size * 0.05,
                hip_y,
                cx + facing * size * 0.25,
                hip_y,
                cx + facing * size * 0.25,
                ground,
            ),
            fill=(*trousers, 255),
            width=limb,
            joint="curve",
        )
    else:
        for side in (-1, 1):
            draw.line(
                (cx + side * size * 0.05, hip_y, cx + side * stride, ground),
                fill=(*trousers, 255),
                width=limb,
            )
            draw.ellipse(
                (
                    cx + side * stride - limb,
                    ground - limb * 0.6,
                    cx + side * stride + limb * 1.4,
                    ground + limb * 0.4,
                ),
                fill=(40, 34, 30, 255),
            )
    if "cape" in f.accessories or "cloak" in f.accessories:
        cape = _shade(f.accent, 0.9)
        draw.polygon(
            [
                (cx - size * 0.12, shoulder_y),
                (cx + size * 0.12, shoulder_y),
                (cx - facing * size * 0.35, ground - size * 0.12),
                (cx - facing * size * 0.05, ground - size * 0.1),
            ],
            fill=(*cape, 255),
        )
    body = [
        (cx - size * 0.13, shoulder_y),
        (cx + size * 0.13, shoulder_y),
        (cx + size * 0.11, hip_y + size * 0.04),
        (cx - size * 0.11, hip_y + size * 0.04),
    ]
    draw.polygon(body, fill=(*clothes, 255), outline=_outline(clothes))
    if robot:
        draw.rectangle(
            (
                cx - size * 0.06,
                shoulder_y + size * 0.08,
                cx + size * 0.06,
                shoulder_y + size * 0.16,
            ),
            fill=(90, 220, 240, 255),
        )
    swing = {"wave": -0.45, "jump": -0.35, "fly": -0.4}.get(f.pose, 0.0) * size
    sleeve = _shade(clothes, 0.8)
    for side in (-1, 1):
        hand_y = shoulder_y + size * 0.34 + (swing if side == facing else 0)
        hand_x = cx + side * size * 0.24 + side * stride * 0.3
        shoulder = (cx + side * size * 0.14, shoulder_y + size * 0.04)
        draw.line((*shoulder, hand_x, hand_y), fill=(*sleeve, 255), width=limb)
        draw.line((*shoulder, hand_x, hand_y), fill=_outline(clothes), width=1)
        draw.ellipse(
            (
                hand_x - limb * 0.75,
                hand_y - limb * 0.75,
                hand_x + limb * 0.75,
                hand_y + limb * 0.75,
            ),
            fill=(*skin, 255),
        )
    draw.rectangle(
        (cx - head_r * 0.3, shoulder_y - head_r * 0.3, cx + head_r * 0.3, shoulder_y + 2),
        fill=(*skin, 255),
    )
    hx, hy = cx + facing * size * 0.01, shoulder_y - head_r * 1.05
    if robot:
        draw.rectangle(
            (hx - head_r, hy - head_r, hx + head_r, hy + head_r),
            fill=(*skin, 255),
            outline=_outline(skin),
            width=2,
        )
        draw.line((hx, hy - head_r, hx, hy - head_r * 1.6), fill=(*_shade(skin, 0.6), 255), width=3)
        draw.ellipse(
            (hx - 6, hy - head_r * 1.75, hx + 6, hy - head_r * 1.45), fill=(230, 70, 60, 255)
        )
    else:
        draw.ellipse(
            (hx - head_r, hy - head_r, hx + head_r, hy + head_r),
            fill=(*skin, 255),
            outline=_outline(skin),
            width=2,
        )
        draw.chord(
            (hx - head_r * 1.05, hy - head_r * 1.1, hx + head_r * 1.05, hy + head_r * 0.5),
            180,
            360,
            fill=(*hair, 255),
        )
    _eye(draw, hx + facing * head_r * 0.4, hy + head_r * 0.05, head_r * 0.17)
    _wearables(
        draw,
        f,
        hx,
        hy + head_r,
        head_r * 2.2,
        facing,
        size,
        look,
        hand=(cx + facing * size * 0.24, shoulder_y + size * 0.34 + swing),
    )


def _eye(draw: ImageDraw.ImageDraw, x: float, y: float, r: float) -> None:
    draw.ellipse((x - r, y - r, x + r, y + r), fill=(252, 252, 248, 255))
    draw.ellipse((x - r * 0.55, y - r * 0.55, x + r * 0.55, y + r * 0.55), fill=(26, 22, 20, 255))
    draw.ellipse((x - r * 0.45, y - r * 0.45, x - r * 0.1, y - r * 0.1), fill=(255, 255, 255, 255))


def _wearables(
    draw: ImageDraw.ImageDraw,
    f: Figure,
    x: float,
    neck_y: float,
    width: float,
    facing: int,
    size: float,
    look: np.random.Generator,
    hand: tuple[float, float] | None = None,
) -> None:
    accent = f.accent
    if "scarf" in f.accessories:
        draw.rounded_rectangle(
            (x - width * 0.5, neck_y - width * 0.12, x + width * 0.5, neck_y + width * 0.12),
            radius=width * 0.1,
            fill=(*accent, 255),
        )
        draw.polygon(
            [
                (x - facing * width * 0.3, neck_y),
                (x - facing * width * 0.55, neck_y + width * 0.7),
                (x - facing * width * 0.2, neck_y + width * 0.6),
            ],
            fill=(*_shade(accent, 0.85), 255),
        )
    if "hat" in f.accessories or "crown" in f.accessories:
        top = neck_y - width * 1.15
        if "crown" in f.accessories:
            draw.polygon(
                [
                    (x - width * 0.35, top + width * 0.2),
                    (x - width * 0.35, top - width * 0.1),
                    (x - width * 0.15, top + width * 0.05),
                    (x, top - width * 0.2),
                    (x + width * 0.15, top + width * 0.05),
                    (x + width * 0.35, top - width * 0.1),
                    (x + width * 0.35, top + width * 0.2),
                ],
                fill=(232, 186, 60, 255),
            )
        else:
            draw.polygon(
                [
                    (x - width * 0.45, top + width * 0.15),
                    (x + width * 0.45, top + width * 0.15),
                    (x + facing * width * 0.1, top - width * 0.8),
                ],
                fill=(*_shade(accent, 0.7), 255),
            )
    if "lantern" in f.accessories:
        lx, ly = hand if hand else (x + facing * size * 0.55, neck_y + size * 0.25)
        for k in range(6, 0, -1):
            r = size * 0.05 * (1 + k * 0.6)
            draw.ellipse(
                (lx - r, ly + size * 0.12 - r, lx + r, ly + size * 0.12 + r),
                fill=(255, 210, 120, 14),
            )
        draw.line((lx, ly, lx, ly + size * 0.06), fill=(60, 50, 40, 255), width=3)
        draw.rounded_rectangle(
            (lx - size * 0.04, ly + size * 0.06, lx + size * 0.04, ly + size * 0.18),
            radius=size * 0.015,
            fill=(255, 226, 150, 255),
            outline=(70, 56, 40, 255),
            width=2,
        )
    if "umbrella" in f.accessories and hand:
        top_y = neck_y - width * 1.9
        draw.line(
            (hand[0], hand[1], hand[0], top_y),
            fill=(60, 50, 44, 255),
            width=max(3, int(size * 0.02)),
        )
        span = size * 0.38
        draw.pieslice(
            (hand[0] - span, top_y - span * 0.55, hand[0] + span, top_y + span * 0.55),
            180,
            360,
            fill=(*accent, 255),
            outline=_outline(accent),
        )
    if "sword" in f.accessories and hand:
        draw.line(
            (hand[0], hand[1], hand[0] + facing * size * 0.15, hand[1] - size * 0.35),
            fill=(210, 214, 222, 255),
            width=max(3, int(size * 0.025)),
        )
    if "staff" in f.accessories and hand:
        draw.line(
            (hand[0], hand[1] - size * 0.4, hand[0], hand[1] + size * 0.3),
            fill=(120, 84, 50, 255),
            width=max(3, int(size * 0.03)),
        )
        draw.ellipse(
            (
                hand[0] - size * 0.04,
                hand[1] - size * 0.48,
                hand[0] + size * 0.04,
                hand[1] - size * 0.4,
            ),
            fill=(120, 220, 255, 255),
        )


# -- styles ----------------------------------------------------------------------------------


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
    rng = _rng("paper", seed, image.size)
    noise = rng.normal(0, strength, (image.height, image.width, 1)).astype(np.float32)
    return Image.fromarray(np.clip(np.asarray(image, np.float32) + noise, 0, 255).astype(np.uint8))


def _vignette(image: Image.Image) -> Image.Image:
    w, h = image.size
    y, x = np.ogrid[:h, :w]
    distance = ((x - w / 2) / (w / 2)) ** 2 + ((y - h / 2) / (h / 2)) ** 2
    mask = np.clip(1 - 0.22 * distance, 0.6, 1).astype(np.float32)[..., None]
    return Image.fromarray(np.clip(np.asarray(image, np.float32) * mask, 0, 255).astype(np.uint8))
