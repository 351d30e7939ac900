"""Reading a language model's plan (pure): tolerant of fenced or slightly broken JSON,
validated, then made to fit the story (its duration, its one character, its style)."""

from __future__ import annotations

import ast
import json
import re
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from vp_contracts.language import NAMES, primary
from vp_contracts.story.rules import story_language
from vp_contracts.values import Motion, ScenePrompt, SceneSpec, StorySpec

from vp_planner.domain.rules import scene_id, scene_seed

MAX_SCENES = 60


class PlanUnreadable(ValueError):
    """The model's answer is not a plan, even after repairs."""


class LlmScene(BaseModel):
    model_config = ConfigDict(extra="ignore")

    duration_seconds: float = Field(default=7, gt=0)
    background: str = Field(default="", max_length=1000)
    action: str = Field(default="", max_length=1000)
    motion: Motion = Motion.SLOW
    narration: str = Field(default="", max_length=1000)


class LlmPlan(BaseModel):
    model_config = ConfigDict(extra="ignore")

    scenes: list[LlmScene] = Field(min_length=1, max_length=MAX_SCENES)


SYSTEM_PROMPT = """You plan short videos. Split the story into scenes of about 7 seconds each.
Answer with JSON only, no prose, in exactly this shape:
{"scenes": [{"duration_seconds": 7, "background": "where the scene happens",
"action": "what the character does", "motion": "slow|medium|fast",
"narration": "one or two sentences spoken over the scene"}]}
The durations must add up to the story's total duration. Do not describe the character:
it is given and stays the same in every scene. Write "background" and "action" in English
(an image model reads them); write "narration" in the story's language, as the user gives it,
never translated to English."""


def user_prompt(spec: StorySpec) -> str:
    language = story_language(spec)
    name = NAMES.get(primary(language), language)
    return (
        f"Language of the narration: {name} ({language})\n"
        f"Title: {spec.title}\nStory: {spec.description or '(none)'}\n"
        f"Character: {spec.character_prompt}\nSetting: {spec.background_prompt}\n"
        f"Action: {spec.action_prompt or '(free)'}\nStyle: {spec.style.value}\n"
        f"Total duration: {spec.duration_seconds} seconds\n"
        f"Narration: {'yes' if spec.narration else 'no'}"
    )


_FENCE = re.compile(r"```(?:json)?\s*(.*?)```", re.DOTALL)
_TRAILING_COMMA = re.compile(r",\s*([}\]])")


def extract_json(text: str) -> Any:
    """The JSON object in ``text``: inside code fences, around prose, with trailing commas,
    smart quotes or Python-style literals repaired."""
    candidates = [match.group(1) for match in _FENCE.finditer(text)] + [text]
    for candidate in candidates:
        start, end = candidate.find("{"), candidate.rfind("}")
        if start < 0 or end <= start:
            continue
        body = candidate[start : end + 1]
        for repair in (
            lambda s: s,
            lambda s: _TRAILING_COMMA.sub(r"\1", s),
            lambda s: _TRAILING_COMMA.sub(
                r"\1", s.replace("\u201c", '"').replace("\u201d", '"').replace("\u2019", "'")
            ),
        ):
            try:
                return json.loads(repair(body))
            except ValueError:
                pass
        try:
            return ast.literal_eval(
                _TRAILING_COMMA.sub(r"\1", body).replace("true", "True").replace("false", "False")
            )
        except (ValueError, SyntaxError):
            continue
    raise PlanUnreadable("no JSON object in the answer")


def read_plan(text: str) -> LlmPlan:
    try:
        return LlmPlan.model_validate(extract_json(text))
    except ValidationError as error:
        raise PlanUnreadable(f"the JSON is not a plan: {error.errors()[0]['msg']}") from error


def fit_durations(wanted: list[float], total: float) -> list[float]:
    """Scale to ``total``, keep each scene between 1 and 60 seconds, in half seconds."""
    scale = total / sum(wanted)
    fitted = [min(60.0, max(1.0, round(length * scale * 2) / 2)) for length in wanted]
    fitted[-1] = min(60.0, max(1.0, fitted[-1] + total - sum(fitted)))
    return fitted


def to_scenes(story_id: str, spec: StorySpec, plan: LlmPlan) -> tuple[SceneSpec, ...]:
    """The model's scenes, with the story's character and style in every one."""
    scenes = plan.scenes[: max(1, spec.duration_seconds)]  # never more scenes than seconds
    durations = fit_durations([scene.duration_seconds for scene in scenes], spec.duration_seconds)
    if abs(sum(durations) - spec.duration_seconds) > 0.01:
        raise PlanUnreadable(
            f"{len(scenes)} scenes of at most 60 s cannot fill {spec.duration_seconds} s"
        )
    base_seed = spec.generation_params.seed or 0
    return tuple(
        SceneSpec(
            scene_id=scene_id(story_id, position),
            position=position,
            duration_seconds=length,
            prompt=ScenePrompt(
                character=spec.character_prompt,
                background=scene.background.strip() or spec.background_prompt,
                action=scene.action.strip() or spec.action_prompt,
                style=spec.style,
                motion=scene.motion,
            ),
            narration=scene.narration.strip() if spec.narration else "",
            seed=scene_seed(base_seed, position),
        )
        for position, (scene, length) in enumerate(zip(scenes, durations, strict=True))
    )
