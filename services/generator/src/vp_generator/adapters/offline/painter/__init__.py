"""A deterministic procedural painter: a background per prompt and a cut-out character.

Vector shapes drawn at twice the size and scaled down (anti-aliased), numpy for gradients and
noise, Pillow filters for the styles. The same prompt, seed and size always give the same
pixels; another seed moves the hills, trees, clouds and stars; the character's look depends
only on its description (so it stays the same in every scene), its pose on the action.
"""

from vp_generator.adapters.offline.painter.figures import paint_character
from vp_generator.adapters.offline.painter.landscape import paint_background
from vp_generator.adapters.offline.painter.style import stylize

__all__ = ["paint_background", "paint_character", "stylize"]
