"""How a scene becomes provider prompts (pure)."""

from __future__ import annotations

from vp_contracts.values import SceneSpec, Style

STYLE_WORDS = {
    Style.REALISTIC: "photorealistic, natural light, detailed",
    Style.CINEMATIC: "cinematic film still, dramatic lighting, shallow depth of field",
    Style.ANIME: "anime style, cel shading, vibrant colours",
    Style.CARTOON: "cartoon illustration, bold outlines, flat colours",
    Style.WATERCOLOR: "watercolor painting, soft washes, paper texture",
    Style.OIL_PAINTING: "oil painting, visible brush strokes",
    Style.PIXEL_ART: "pixel art, 16-bit, limited palette",
    Style.NOIR: "film noir, black and white, high contrast",
    Style.FANTASY: "fantasy art, magical glow, rich colours",
}
GREEN_SCREEN = "full body, centered, isolated on a plain solid bright green background, no scenery"


def background_prompt(scene: SceneSpec) -> str:
    """The setting alone: no character, so the layers can move independently."""
    return f"{scene.prompt.background}, empty scene, no people, {STYLE_WORDS[scene.prompt.style]}"


def character_prompt(scene: SceneSpec, cut_out: bool) -> str:
    """The character (identical wording in every scene), what it does, and, for providers that
    cannot return transparency, a plain background to key out."""
    parts = [scene.prompt.character]
    if scene.prompt.action:
        parts.append(scene.prompt.action)
    parts.append(STYLE_WORDS[scene.prompt.style])
    if cut_out:
        parts.append(GREEN_SCREEN)
    return ", ".join(parts)


def motion_prompt(scene: SceneSpec) -> str:
    return f"{scene.prompt.character} {scene.prompt.action}, camera moves {scene.prompt.motion.value}ly".strip()
