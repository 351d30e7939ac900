"""The creator's commands on scenes: add, edit, reorder, generate one again."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from vp_contracts.events import story as e
from vp_contracts.events.base import Event
from vp_contracts.story import commands as c
from vp_contracts.story.decider.guards import (
    require_budget,
    require_state,
    spec_of,
    validated,
    with_verdict,
)
from vp_contracts.story.decider.registry import handles
from vp_contracts.story.errors import (
    AlreadyExists,
    InvalidInput,
    NotFound,
)
from vp_contracts.story.rules import (
    preview_profile,
)
from vp_contracts.story.status import (
    SCENES_EDITABLE,
)
from vp_contracts.story.view import StoryView
from vp_contracts.values import (
    MAX_SCENES,
    Motion,
    SceneSpec,
)


def _scene_defaults(state: StoryView, position: int) -> dict[str, Any]:
    spec = spec_of(state)
    base_seed = spec.generation_params.seed or 0
    return {
        "position": position,
        "duration_seconds": 7,
        "narration": "",
        "seed": (base_seed + position) % (2**31),
        "prompt": {
            "character": spec.character_prompt,
            "background": spec.background_prompt,
            "action": spec.action_prompt,
            "style": spec.style,
            "motion": spec.generation_params.motion or Motion.SLOW,
        },
    }


def _merge(defaults: dict[str, Any], changes: Mapping[str, Any]) -> dict[str, Any]:
    merged = {**defaults, **changes}
    if isinstance(changes.get("prompt"), Mapping):
        merged["prompt"] = {**defaults["prompt"], **changes["prompt"]}
    return merged


@handles(c.CreateScenes)
def _create_scenes(command: c.CreateScenes, state: StoryView) -> list[Event]:
    require_state(state, SCENES_EDITABLE, "add scenes")
    if not command.scenes:
        raise InvalidInput.field("scenes", "give at least one scene")
    if len(state.scenes) + len(command.scenes) > MAX_SCENES:
        raise InvalidInput.field("scenes", f"a story has at most {MAX_SCENES} scenes")
    taken = {scene.scene_id for scene in state.scenes}
    specs = []
    for index, new in enumerate(command.scenes):
        if new.scene_id in taken:
            raise AlreadyExists(f"scene {new.scene_id} exists already")
        taken.add(new.scene_id)
        if "position" in new.fields:
            raise InvalidInput.field(
                f"scenes.{index}.position", "new scenes go last; use reorder to move them"
            )
        position = len(state.scenes) + index
        data = _merge(_scene_defaults(state, position), new.fields) | {"scene_id": new.scene_id}
        specs.append(validated(SceneSpec, data, prefix=f"scenes.{index}."))
    return [e.ScenesCreated(story_id=command.story_id, scenes=tuple(specs))]


def _existing_scene(state: StoryView, scene_id: str) -> SceneSpec:
    scene = state.scene(scene_id)
    if scene is None:
        raise NotFound(f"scene {scene_id} does not exist in story {state.story_id}")
    return scene.spec


@handles(c.UpdateScene)
def _update_scene(command: c.UpdateScene, state: StoryView) -> list[Event]:
    old = _existing_scene(state, command.scene_id)
    require_state(state, SCENES_EDITABLE, "edit scenes")
    for fixed in ("scene_id", "position"):
        if fixed in command.changes:
            rule = "use reorder to move a scene" if fixed == "position" else "cannot be changed"
            raise InvalidInput.field(fixed, rule)
    scene: SceneSpec = validated(SceneSpec, _merge(old.model_dump(), command.changes))
    changed = tuple(
        name for name in SceneSpec.model_fields if getattr(scene, name) != getattr(old, name)
    )
    if not changed:
        return []
    return [e.SceneUpdated(story_id=command.story_id, scene=scene, changed=changed)]


@handles(c.ReorderScene)
def _reorder_scene(command: c.ReorderScene, state: StoryView) -> list[Event]:
    old = _existing_scene(state, command.scene_id)
    require_state(state, SCENES_EDITABLE, "reorder scenes")
    if not 0 <= command.position < len(state.scenes):
        raise InvalidInput.field("position", f"must be between 0 and {len(state.scenes) - 1}")
    if command.position == old.position:
        return []
    order = [scene.scene_id for scene in state.scenes if scene.scene_id != command.scene_id]
    order.insert(command.position, command.scene_id)
    return [
        e.ScenesReordered(
            story_id=command.story_id,
            scene_id=command.scene_id,
            position=command.position,
            order=tuple(order),
        )
    ]


@handles(c.RequestSceneGeneration)
def _request_scene_generation(command: c.RequestSceneGeneration, state: StoryView) -> list[Event]:
    _existing_scene(state, command.scene_id)
    require_state(state, SCENES_EDITABLE, "generate a scene")
    require_budget(state, command.spending, "scene")
    requested = e.SceneGenerationRequested(
        story_id=command.story_id,
        scene_id=command.scene_id,
        job_id=command.job_id,
        seed=command.seed,
        profile=preview_profile(spec_of(state)),
    )
    return with_verdict(command.content, command.story_id, "scene", [requested])
