"""People and robots: legs by pose, a cape, torso, arms, head and hair, then what they wear."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import ImageDraw

from vp_generator.adapters.offline.painter.palette import RGB, eye, outline_of, shade
from vp_generator.adapters.offline.painter.wearables import wearables
from vp_generator.adapters.offline.scene_words import Figure

SKINS: tuple[RGB, ...] = ((241, 200, 170), (214, 160, 120), (160, 110, 78), (108, 72, 52))
HAIR: tuple[RGB, ...] = ((40, 30, 24), (110, 70, 40), (200, 160, 90), (30, 30, 34), (150, 60, 40))
STRIDES = {"run": 0.28, "walk": 0.16, "jump": 0.2}
"""Share of the height between the feet, by pose."""
RAISED = {"wave": -0.45, "jump": -0.35, "fly": -0.4}
"""How far the front hand is lifted, by pose (share of the height)."""


@dataclass(frozen=True)
class Body:
    """Where one figure's parts go, and its colours."""

    f: Figure
    cx: float
    ground: float
    size: float
    facing: int
    robot: bool
    skin: RGB
    clothes: RGB
    trousers: RGB
    hair: RGB
    head_r: float
    hip_y: float
    shoulder_y: float
    stride: float
    limb: int

    @property
    def swing(self) -> float:
        return RAISED.get(self.f.pose, 0.0) * self.size


def humanoid(
    draw: ImageDraw.ImageDraw,
    f: Figure,
    cx: float,
    ground: float,
    size: float,
    facing: int,
    look: np.random.Generator,
    pose: np.random.Generator,
) -> None:
    body = _measure(f, cx, ground, size, facing, look, pose)
    _legs(draw, body)
    _cape(draw, body)
    _torso(draw, body)
    _arms(draw, body)
    hx, hy = _head(draw, body)
    wearables(
        draw,
        f,
        hx,
        hy + body.head_r,
        body.head_r * 2.2,
        facing,
        size,
        look,
        hand=(cx + facing * size * 0.24, body.shoulder_y + size * 0.34 + body.swing),
    )


def _measure(
    f: Figure,
    cx: float,
    ground: float,
    size: float,
    facing: int,
    look: np.random.Generator,
    pose: np.random.Generator,
) -> Body:
    # The draws from ``look`` and ``pose`` come in this order: the same figure, the same looks.
    robot = f.creature == "robot"
    skin = (190, 196, 206) if robot else SKINS[int(look.integers(0, 4))]
    clothes = f.colour
    trousers = shade(clothes, 0.55) if not robot else shade(skin, 0.8)
    hair = HAIR[int(look.integers(0, 5))]
    stride = STRIDES.get(f.pose, 0.03) * size * pose.uniform(0.8, 1.0)
    sitting = f.pose == "sit"
    return Body(
        f=f,
        cx=cx,
        ground=ground,
        size=size,
        facing=facing,
        robot=robot,
        skin=skin,
        clothes=clothes,
        trousers=trousers,
        hair=hair,
        head_r=size * 0.11,
        hip_y=ground - size * (0.28 if sitting else 0.45),
        shoulder_y=ground - size * 0.82,
        stride=stride,
        limb=max(3, int(size * 0.07)),
    )


def _legs(draw: ImageDraw.ImageDraw, b: Body) -> None:
    cx, size, ground, limb = b.cx, b.size, b.ground, b.limb
    if b.f.pose == "sit":
        knee_x = cx + b.facing * size * 0.25
        draw.line(
            (cx - size * 0.05, b.hip_y, knee_x, b.hip_y, knee_x, ground),
            fill=(*b.trousers, 255),
            width=limb,
            joint="curve",
        )
        return
    for side in (-1, 1):
        foot = cx + side * b.stride
        draw.line(
            (cx + side * size * 0.05, b.hip_y, foot, ground), fill=(*b.trousers, 255), width=limb
        )
        draw.ellipse(
            (foot - limb, ground - limb * 0.6, foot + limb * 1.4, ground + limb * 0.4),
            fill=(40, 34, 30, 255),
        )


def _cape(draw: ImageDraw.ImageDraw, b: Body) -> None:
    if "cape" not in b.f.accessories and "cloak" not in b.f.accessories:
        return
    cx, size = b.cx, b.size
    draw.polygon(
        [
            (cx - size * 0.12, b.shoulder_y),
            (cx + size * 0.12, b.shoulder_y),
            (cx - b.facing * size * 0.35, b.ground - size * 0.12),
            (cx - b.facing * size * 0.05, b.ground - size * 0.1),
        ],
        fill=(*shade(b.f.accent, 0.9), 255),
    )


def _torso(draw: ImageDraw.ImageDraw, b: Body) -> None:
    cx, size, top = b.cx, b.size, b.shoulder_y
    torso = [
        (cx - size * 0.13, top),
        (cx + size * 0.13, top),
        (cx + size * 0.11, b.hip_y + size * 0.04),
        (cx - size * 0.11, b.hip_y + size * 0.04),
    ]
    draw.polygon(torso, fill=(*b.clothes, 255), outline=outline_of(b.clothes))
    if b.robot:
        panel = (cx - size * 0.06, top + size * 0.08, cx + size * 0.06, top + size * 0.16)
        draw.rectangle(panel, fill=(90, 220, 240, 255))


def _arms(draw: ImageDraw.ImageDraw, b: Body) -> None:
    cx, size, limb = b.cx, b.size, b.limb
    sleeve = shade(b.clothes, 0.8)
    for side in (-1, 1):
        hand_y = b.shoulder_y + size * 0.34 + (b.swing if side == b.facing else 0)
        hand_x = cx + side * size * 0.24 + side * b.stride * 0.3
        shoulder = (cx + side * size * 0.14, b.shoulder_y + size * 0.04)
        draw.line((*shoulder, hand_x, hand_y), fill=(*sleeve, 255), width=limb)
        draw.line((*shoulder, hand_x, hand_y), fill=outline_of(b.clothes), width=1)
        r = limb * 0.75
        draw.ellipse((hand_x - r, hand_y - r, hand_x + r, hand_y + r), fill=(*b.skin, 255))


def _head(draw: ImageDraw.ImageDraw, b: Body) -> tuple[float, float]:
    """Neck, head and hair (or a robot's box and antenna); where the head's centre is."""
    r, skin = b.head_r, b.skin
    draw.rectangle(
        (b.cx - r * 0.3, b.shoulder_y - r * 0.3, b.cx + r * 0.3, b.shoulder_y + 2),
        fill=(*skin, 255),
    )
    hx, hy = b.cx + b.facing * b.size * 0.01, b.shoulder_y - r * 1.05
    if b.robot:
        box = (hx - r, hy - r, hx + r, hy + r)
        draw.rectangle(box, fill=(*skin, 255), outline=outline_of(skin), width=2)
        draw.line((hx, hy - r, hx, hy - r * 1.6), fill=(*shade(skin, 0.6), 255), width=3)
        draw.ellipse((hx - 6, hy - r * 1.75, hx + 6, hy - r * 1.45), fill=(230, 70, 60, 255))
    else:
        face = (hx - r, hy - r, hx + r, hy + r)
        draw.ellipse(face, fill=(*skin, 255), outline=outline_of(skin), width=2)
        hair = (hx - r * 1.05, hy - r * 1.1, hx + r * 1.05, hy + r * 0.5)
        draw.chord(hair, 180, 360, fill=(*b.hair, 255))
    eye(draw, hx + b.facing * r * 0.4, hy + r * 0.05, r * 0.17)
    return hx, hy
