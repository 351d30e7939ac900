"""What characters wear and hold: hats, scarves, glasses, bags, swords, ... from the words of
their description."""

from __future__ import annotations

import numpy as np
from PIL import ImageDraw

from vp_generator.adapters.offline.painter.palette import outline_of, shade
from vp_generator.adapters.offline.scene_words import Figure


def wearables(
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
            fill=(*shade(accent, 0.85), 255),
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
                fill=(*shade(accent, 0.7), 255),
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
            outline=outline_of(accent),
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
