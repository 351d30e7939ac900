"""The cut-out character: which body it gets (four legs, wings, or a person), where it
stands and which way it faces; the same description always looks the same."""

from __future__ import annotations

import math

import numpy as np
from PIL import Image, ImageDraw
from vp_contracts.values import Style

from vp_generator.adapters.offline.painter.palette import (
    SUPERSAMPLE,
    eye,
    mix,
    outline_of,
    seeded,
    shade,
)
from vp_generator.adapters.offline.painter.people import humanoid
from vp_generator.adapters.offline.painter.style import stylize
from vp_generator.adapters.offline.painter.wearables import wearables
from vp_generator.adapters.offline.scene_words import Figure, read_figure


def paint_character(
    character: str, action: str, style: Style, seed: int, width: int, height: int
) -> Image.Image:
    """The character as an RGBA image of ``width`` x ``height``: transparent around it."""
    figure = read_figure(character, action)
    look = seeded("look", character)  # the same description looks the same in every scene
    pose = seeded("pose", action, seed)
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
        humanoid(draw, figure, cx, ground - lift, size, facing, look, pose)
    elif figure.creature in ("bird", "dragon"):
        winged(draw, figure, cx, ground - lift - size * 0.4, size, facing, look)
    else:
        quadruped(draw, figure, cx, ground - lift, size, facing, look, pose)
    layer = layer.resize((width, height), Image.Resampling.LANCZOS)
    return stylize(layer, style, seed)


def quadruped(
    draw: ImageDraw.ImageDraw,
    f: Figure,
    cx: float,
    ground: float,
    size: float,
    facing: int,
    look: np.random.Generator,
    pose: np.random.Generator,
) -> None:
    fur, belly = f.colour, mix(f.colour, (250, 244, 232), 0.65)
    line = outline_of(fur)
    body_w, body_h = size * 0.95, size * 0.42
    top = ground - size * 0.78
    stride = {"run": 0.35, "walk": 0.18, "jump": 0.3}.get(f.pose, 0.05) * size
    for i, dx in enumerate((-0.32, -0.18, 0.2, 0.34)):
        swing = stride * (1 if i % 2 else -1) * pose.uniform(0.7, 1.0)
        x = cx + dx * body_w
        draw.line(
            (x, top + body_h * 0.7, x + swing * facing, ground),
            fill=(*shade(fur, 0.8), 255),
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
    eye(draw, hx + facing * hr * 0.35, hy - hr * 0.2, hr * 0.2)
    mouth = (hx + facing * hr * 1.2, hy + hr * 0.55)
    wearables(draw, f, hx, hy + hr * 0.9, hr * 1.6, facing, size, look, hand=mouth)


def winged(
    draw: ImageDraw.ImageDraw,
    f: Figure,
    cx: float,
    cy: float,
    size: float,
    facing: int,
    look: np.random.Generator,
) -> None:
    body = f.colour
    line = outline_of(body)
    span = size * (1.3 if f.creature == "dragon" else 0.9)
    for side in (-1, 1):
        draw.polygon(
            [
                (cx, cy - size * 0.05),
                (cx + side * span, cy - size * 0.45),
                (cx + side * span * 0.7, cy + size * 0.1),
            ],
            fill=(*shade(body, 0.85), 255),
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
    eye(draw, hx + facing * hr * 0.3, hy - hr * 0.2, hr * 0.28)
