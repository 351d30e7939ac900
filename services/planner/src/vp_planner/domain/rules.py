"""The rule-based planner (pure): 7-second scenes, prompts from the story's own prompts, the
description's sentences spread over the scenes as narration.

Deterministic: the same story gives the same plan (same scene ids and seeds), so planning
again after a failure keeps every scene and every asset already generated.
"""

from __future__ import annotations

from vp_contracts.ids import derived_id
from vp_contracts.language import SPACELESS, expected_seconds, primary, sentences
from vp_contracts.story.rules import split_duration, story_language
from vp_contracts.values import Motion, ScenePrompt, SceneSpec, StorySpec

_MOTIONS = (Motion.SLOW, Motion.MEDIUM, Motion.SLOW, Motion.FAST)


def scene_id(story_id: str, position: int) -> str:
    return derived_id("scene", story_id, str(position))


def scene_seed(base: int, position: int) -> int:
    return (base + position * 7919) % (2**31)


def spread(lines: list[str], durations: list[int], language: str = "en") -> list[str]:
    """Give each scene the sentences that fall in its share of the story's time (by how long
    each takes to say, in its language)."""
    if not lines:
        return [""] * len(durations)
    total = sum(durations)
    ends, elapsed = [], 0
    for length in durations:
        elapsed += length
        ends.append(elapsed / total)
    words = [max(0.1, expected_seconds(line, language)) for line in lines]
    out: list[list[str]] = [[] for _ in durations]
    spoken = 0.0
    for line, count in zip(lines, words, strict=True):
        middle = (spoken + count / 2) / sum(words)
        index = next(i for i, end in enumerate(ends) if middle <= end + 1e-9)
        out[index].append(line)
        spoken += count
    joiner = "" if primary(language) in SPACELESS else " "
    return [joiner.join(parts) for parts in out]


def plan_by_rules(story_id: str, spec: StorySpec) -> tuple[SceneSpec, ...]:
    durations = split_duration(spec.duration_seconds)
    language = story_language(spec)
    narration = (
        spread(sentences(spec.description), durations, language)
        if spec.narration
        else [""] * len(durations)
    )
    base_seed = spec.generation_params.seed or 0
    scenes = []
    for position, (length, line) in enumerate(zip(durations, narration, strict=True)):
        motion = spec.generation_params.motion or _MOTIONS[position % len(_MOTIONS)]
        scenes.append(
            SceneSpec(
                scene_id=scene_id(story_id, position),
                position=position,
                duration_seconds=length,
                prompt=ScenePrompt(
                    character=spec.character_prompt,
                    background=spec.background_prompt,
                    action=spec.action_prompt or line[:1000],
                    style=spec.style,
                    motion=motion,
                ),
                narration=line[:1000],
                seed=scene_seed(base_seed, position),
            )
        )
    return tuple(scenes)
