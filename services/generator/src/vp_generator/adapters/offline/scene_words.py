"""What a prompt says about a picture: time of day, place, weather, colours, creature, pose.

Plain keyword reading, so the offline renderer draws the forest the story asks for. The same
words always give the same reading.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

COLOURS: dict[str, tuple[int, int, int]] = {
    "red": (196, 58, 42),
    "crimson": (170, 28, 48),
    "orange": (226, 122, 40),
    "ginger": (214, 112, 44),
    "yellow": (236, 196, 62),
    "golden": (222, 172, 64),
    "gold": (222, 172, 64),
    "green": (72, 150, 78),
    "emerald": (40, 140, 96),
    "blue": (52, 104, 196),
    "navy": (34, 52, 110),
    "teal": (38, 138, 140),
    "purple": (122, 70, 168),
    "violet": (140, 88, 196),
    "pink": (226, 120, 160),
    "white": (236, 236, 230),
    "silver": (190, 196, 204),
    "grey": (128, 130, 134),
    "gray": (128, 130, 134),
    "black": (36, 36, 42),
    "brown": (122, 80, 48),
    "tan": (190, 150, 104),
    "copper": (184, 110, 64),
    "cyan": (70, 190, 210),
}

_PLACES = {
    "forest": ("forest", "woods", "pine", "pines", "jungle", "trees", "grove", "woodland", "tree"),
    "mountains": (
        "mountain",
        "mountains",
        "peak",
        "peaks",
        "cliff",
        "cliffs",
        "valley",
        "hills",
        "alps",
    ),
    "water": (
        "sea",
        "ocean",
        "beach",
        "lake",
        "river",
        "coast",
        "shore",
        "harbor",
        "harbour",
        "pond",
        "bay",
    ),
    "city": (
        "city",
        "street",
        "town",
        "village",
        "buildings",
        "rooftop",
        "rooftops",
        "downtown",
        "alley",
        "market",
    ),
    "desert": ("desert", "dunes", "dune", "sand", "canyon", "sahara"),
    "snow": ("snow", "snowy", "winter", "ice", "icy", "arctic", "frozen", "glacier"),
    "meadow": (
        "meadow",
        "field",
        "fields",
        "grass",
        "garden",
        "farm",
        "prairie",
        "park",
        "countryside",
    ),
    "space": ("space", "galaxy", "planet", "stars", "nebula", "cosmos", "orbit", "moon surface"),
    "cave": ("cave", "cavern", "underground", "tunnel", "mine", "dungeon"),
    "interior": (
        "room",
        "kitchen",
        "bedroom",
        "library",
        "hall",
        "house",
        "castle interior",
        "office",
        "classroom",
    ),
}

_TIMES = {
    "night": ("night", "midnight", "moonlit", "moonlight", "starry", "dark"),
    "dusk": ("dusk", "sunset", "evening", "twilight", "golden hour"),
    "dawn": ("dawn", "sunrise", "morning", "daybreak"),
}

_CREATURES = {
    "fox": ("fox",),
    "cat": ("cat", "kitten", "lion", "tiger", "leopard"),
    "dog": ("dog", "puppy", "wolf"),
    "rabbit": ("rabbit", "bunny", "hare"),
    "bear": ("bear", "panda"),
    "horse": ("horse", "pony", "unicorn", "deer"),
    "bird": ("bird", "owl", "eagle", "crow", "raven", "parrot", "sparrow"),
    "robot": ("robot", "android", "droid", "mech"),
    "dragon": ("dragon",),
}

_DEFAULT_FUR = {
    "fox": (214, 104, 40),
    "cat": (120, 110, 100),
    "dog": (150, 110, 70),
    "rabbit": (200, 190, 178),
    "bear": (96, 66, 44),
    "horse": (128, 84, 52),
    "bird": (80, 90, 120),
    "robot": (170, 178, 190),
    "dragon": (60, 130, 90),
    "person": (66, 92, 150),
}

_ACCESSORIES = (
    "scarf",
    "hat",
    "cape",
    "cloak",
    "lantern",
    "sword",
    "backpack",
    "crown",
    "umbrella",
    "staff",
    "book",
)


@dataclass(frozen=True)
class Reading:
    place: str
    time: str
    fog: bool
    rain: bool
    accent: tuple[int, int, int] | None


@dataclass(frozen=True)
class Figure:
    creature: str
    colour: tuple[int, int, int]
    """Fur, feathers, metal, or a person's clothes."""
    accent: tuple[int, int, int]
    """What it wears: scarf, cape, umbrella, hat."""
    accessories: tuple[str, ...]
    pose: str


def words(text: str) -> list[str]:
    return re.findall(r"[a-z]+", text.lower())


def _first(text: str, table: dict[str, tuple[str, ...]], default: str) -> str:
    lowered = f" {' '.join(words(text))} "
    best: tuple[int, str] | None = None
    for name, options in table.items():
        for option in options:
            index = lowered.find(f" {option} ")
            if index >= 0 and (best is None or index < best[0]):
                best = (index, name)
    return best[1] if best else default


def colours_in(text: str) -> list[tuple[int, int, int]]:
    return [COLOURS[word] for word in words(text) if word in COLOURS]


def read_background(prompt: str) -> Reading:
    found = set(words(prompt))
    colours = colours_in(prompt)
    return Reading(
        place=_first(prompt, _PLACES, "meadow"),
        time=_first(prompt, _TIMES, "day"),
        fog=bool(found & {"mist", "misty", "fog", "foggy", "haze", "hazy"}),
        rain=bool(found & {"rain", "rainy", "storm", "stormy", "drizzle"}),
        accent=colours[0] if colours else None,
    )


def read_figure(character: str, action: str) -> Figure:
    creature = _first(character, _CREATURES, "person")
    colours = colours_in(character)
    # The first colour word belongs to the creature (or a person's clothes), a later one to
    # what it wears.
    colour = colours[0] if colours else _DEFAULT_FUR[creature]
    accent = (
        colours[1]
        if len(colours) > 1
        else (52, 104, 196)
        if colour != (52, 104, 196)
        else (196, 58, 42)
    )
    found = set(words(character))
    accessories = tuple(item for item in _ACCESSORIES if item in found)
    if found & {"wizard", "witch", "mage"}:
        accessories += ("hat",)
    if found & {"king", "queen", "princess", "prince"}:
        accessories += ("crown",)
    return Figure(creature, colour, accent, accessories, _pose(action))


def _pose(action: str) -> str:
    found = set(words(action))
    for pose, options in (
        ("run", {"run", "runs", "running", "race", "races", "chases", "flees", "dashes"}),
        ("jump", {"jump", "jumps", "jumping", "leaps", "leap", "hops", "bounces"}),
        ("sit", {"sit", "sits", "sitting", "rests", "waits", "reads"}),
        ("fly", {"fly", "flies", "flying", "soars", "glides"}),
        ("wave", {"waves", "wave", "greets", "calls", "sings", "dances"}),
        (
            "walk",
            {"walk", "walks", "walking", "wanders", "explores", "strolls", "looks", "searches"},
        ),
    ):
        if found & options:
            return pose
    return "stand"
