"""The Story decider: ``decide(command, state) -> events``.

Pure: no clock, no random ids, no I/O. A user command that the state or input does not allow
raises a :class:`~vp_contracts.story.errors.Refused`; a stage's result for a stale attempt
yields no events (the work is simply no longer wanted); a command that changes nothing
yields no events, so retries are harmless.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from pydantic import ValidationError

from vp_contracts.events import jobs as j
from vp_contracts.events import story as e
from vp_contracts.events.base import Event
from vp_contracts.story import commands as c
from vp_contracts.story.errors import (
    AlreadyExists,
    IllegalTransition,
    InvalidInput,
    NotFound,
    WrongState,
    invalid_from_validation,
)
from vp_contracts.story.rules import (
    estimate_cost,
    estimate_for_spec,
    estimate_preview_seconds,
    estimate_render_seconds,
    final_profile,
    preview_profile,
    story_language,
)
from vp_contracts.story.status import (
    EDITABLE,
    RUNNING,
    SCENES_EDITABLE,
    SYSTEM_TRANSITIONS,
    TRANSITIONS,
    USER_TRANSITIONS,
)
from vp_contracts.story.view import StoryView
from vp_contracts.values import (
    MAX_SCENES,
    Motion,
    SceneSpec,
    Stage,
    StorySpec,
    StoryStatus,
    unknown_fields,
)

CommandT = TypeVar("CommandT", bound=c.Command)
Decide = Callable[[Any, StoryView], list[Event]]
_DECIDE: dict[type[c.Command], Decide] = {}

PLANNERS = ("rules", "llm")
_FACTS_WITHOUT_RULES = (
    e.CostRecorded,
    j.JobQueued,
    j.JobStarted,
    j.JobSucceeded,
    j.JobRetried,
    j.JobFailed,
    j.JobCancelled,
)


def _handles(
    command_type: type[CommandT],
) -> Callable[
    [Callable[[CommandT, StoryView], list[Event]]], Callable[[CommandT, StoryView], list[Event]]
]:
    def register(
        handler: Callable[[CommandT, StoryView], list[Event]],
    ) -> Callable[[CommandT, StoryView], list[Event]]:
        _DECIDE[command_type] = handler
        return handler

    return register


def decide(command: c.Command, state: StoryView) -> list[Event]:
    """The facts ``command`` produces in ``state``; raises ``Refused`` when not allowed."""
    if not isinstance(command, c.CreateStory) and not state.exists:
        raise NotFound(f"story {command.story_id} does not exist")
    return _DECIDE[type(command)](command, state)


# -- guards ----------------------------------------------------------------------------


def _status(state: StoryView) -> StoryStatus:
    assert state.status is not None
    return state.status


def _spec(state: StoryView) -> StorySpec:
    assert state.spec is not None
    return state.spec


def _require_edge(state: StoryView, target: StoryStatus, action: str) -> None:
    current = _status(state)
    if target not in TRANSITIONS[current] or (current, target) in SYSTEM_TRANSITIONS:
        raise IllegalTransition(
            f"cannot {action}: the story is {current.value}", current, USER_TRANSITIONS[current]
        )


def _require_state(state: StoryView, allowed: frozenset[StoryStatus], action: str) -> None:
    current = _status(state)
    if current not in allowed:
        raise WrongState(f"cannot {action} while the story is {current.value}", current, allowed)


def _validated(
    model: type[SceneSpec] | type[StorySpec], data: Mapping[str, Any], prefix: str = ""
) -> Any:
    unknown = unknown_fields(model, dict(data), prefix)
    if unknown:
        raise InvalidInput(
            f"unknown field {unknown[0]}",
            {"errors": [{"field": name, "rule": "unknown field"} for name in unknown]},
        )
    try:
        return model.model_validate(dict(data))
    except ValidationError as error:
        raise invalid_from_validation(error, prefix) from None


# -- the creator's commands ------------------------------------------------------------


@_handles(c.CreateStory)
def _create(command: c.CreateStory, state: StoryView) -> list[Event]:
    if state.exists:
        raise AlreadyExists(f"story {command.story_id} exists already")
    return [
        e.StoryCreated(
            story_id=command.story_id,
            owner_id=command.owner_id,
            spec=command.spec,
            cost_estimate=estimate_for_spec(command.spec, command.costs),
            language=story_language(command.spec),
        )
    ]


_IMMUTABLE_STORY_FIELDS = frozenset({"story_id", "owner_id", "status"})


@_handles(c.UpdateStory)
def _update(command: c.UpdateStory, state: StoryView) -> list[Event]:
    _require_state(state, EDITABLE, "edit the story")
    fixed = sorted(_IMMUTABLE_STORY_FIELDS & command.changes.keys())
    if fixed:
        raise InvalidInput.field(fixed[0], "cannot be changed")
    old = _spec(state)
    merged = {**old.model_dump(), **command.changes}
    if isinstance(command.changes.get("generation_params"), Mapping):
        merged["generation_params"] = {
            **old.generation_params.model_dump(),
            **command.changes["generation_params"],
        }
    spec: StorySpec = _validated(StorySpec, merged)
    changed = tuple(
        name for name in StorySpec.model_fields if getattr(spec, name) != getattr(old, name)
    )
    if not changed:
        return []
    scene_count = len(state.scenes) or None
    estimate = (
        estimate_cost(scene_count, state.duration_seconds, command.costs)
        if scene_count
        else estimate_for_spec(spec, command.costs)
    )
    return [
        e.StoryUpdated(
            story_id=command.story_id,
            spec=spec,
            changed=changed,
            cost_estimate=estimate,
            language=story_language(spec),
        )
    ]


@_handles(c.RequestPlanning)
def _request_planning(command: c.RequestPlanning, state: StoryView) -> list[Event]:
    _require_edge(state, StoryStatus.PLANNING, "plan the story")
    if command.planner is not None and command.planner not in PLANNERS:
        raise InvalidInput.field("planner", f"must be one of {', '.join(PLANNERS)}")
    return [
        e.PlanningRequested(
            story_id=command.story_id, attempt_id=command.attempt_id, planner=command.planner
        )
    ]


@_handles(c.RequestPreview)
def _request_preview(command: c.RequestPreview, state: StoryView) -> list[Event]:
    _require_edge(state, StoryStatus.PREVIEWING, "generate a preview")
    profile = preview_profile(_spec(state))
    return [
        e.PreviewRequested(
            story_id=command.story_id,
            attempt_id=command.attempt_id,
            scene_ids=tuple(scene.scene_id for scene in state.scenes),
            profile=profile,
            estimated_seconds=estimate_preview_seconds(len(state.scenes), state.duration_seconds),
        )
    ]


@_handles(c.RequestRender)
def _request_render(command: c.RequestRender, state: StoryView) -> list[Event]:
    _require_edge(state, StoryStatus.RENDERING, "render the final video")
    profile = final_profile(_spec(state))
    return [
        e.RenderRequested(
            story_id=command.story_id,
            attempt_id=command.attempt_id,
            scene_ids=tuple(scene.scene_id for scene in state.scenes),
            profile=profile,
            estimated_seconds=estimate_render_seconds(
                len(state.scenes), state.duration_seconds, profile
            ),
        )
    ]


@_handles(c.Cancel)
def _cancel(command: c.Cancel, state: StoryView) -> list[Event]:
    _require_state(state, RUNNING, "cancel")
    attempt = state.attempt
    assert attempt is not None
    if command.attempt_id is not None and command.attempt_id != attempt.id:
        return []
    return [e.StoryCancelled(story_id=command.story_id, attempt_id=attempt.id, stage=attempt.stage)]


@_handles(c.Archive)
def _archive(command: c.Archive, state: StoryView) -> list[Event]:
    _require_edge(state, StoryStatus.ARCHIVED, "archive the story")
    return [e.StoryArchived(story_id=command.story_id)]


@_handles(c.GiveFeedback)
def _give_feedback(command: c.GiveFeedback, state: StoryView) -> list[Event]:
    _require_state(state, frozenset({StoryStatus.COMPLETED}), "rate the video")
    if not 1 <= command.rating <= 5:
        raise InvalidInput.field("rating", "1 to 5 stars")
    comment = command.comment.strip()
    if len(comment) > 1000:
        raise InvalidInput.field("comment", "at most 1000 characters")
    return [e.FeedbackGiven(story_id=command.story_id, rating=command.rating, comment=comment)]


def _from_only(source: StoryStatus, target: StoryStatus, action: str, state: StoryView) -> None:
    if _status(state) != source:
        current = _status(state)
        raise IllegalTransition(
            f"cannot {action}: the story is {current.value}", current, USER_TRANSITIONS[current]
        )
    _require_edge(state, target, action)


@_handles(c.Restore)
def _restore(command: c.Restore, state: StoryView) -> list[Event]:
    _from_only(StoryStatus.ARCHIVED, StoryStatus.DRAFT, "restore the story", state)
    return [e.StoryRestored(story_id=command.story_id)]


@_handles(c.Reset)
def _reset(command: c.Reset, state: StoryView) -> list[Event]:
    _from_only(StoryStatus.FAILED, StoryStatus.DRAFT, "reset the story to draft", state)
    return [e.StoryReset(story_id=command.story_id)]


@_handles(c.Reopen)
def _reopen(command: c.Reopen, state: StoryView) -> list[Event]:
    _from_only(
        StoryStatus.PREVIEW_READY, StoryStatus.PLANNED, "reopen the scenes for editing", state
    )
    return [e.StoryReopened(story_id=command.story_id)]


_TRANSITION_COMMANDS: Mapping[
    tuple[StoryStatus, StoryStatus], Callable[[c.Transition], c.Command]
] = {
    (StoryStatus.PLANNING, StoryStatus.DRAFT): lambda t: c.Cancel(story_id=t.story_id),
    (StoryStatus.PLANNING, StoryStatus.PLANNED): lambda t: c.Cancel(story_id=t.story_id),
    (StoryStatus.PREVIEWING, StoryStatus.PLANNED): lambda t: c.Cancel(story_id=t.story_id),
    (StoryStatus.RENDERING, StoryStatus.PREVIEW_READY): lambda t: c.Cancel(story_id=t.story_id),
    (StoryStatus.FAILED, StoryStatus.DRAFT): lambda t: c.Reset(story_id=t.story_id),
    (StoryStatus.ARCHIVED, StoryStatus.DRAFT): lambda t: c.Restore(story_id=t.story_id),
    (StoryStatus.PREVIEW_READY, StoryStatus.PLANNED): lambda t: c.Reopen(story_id=t.story_id),
}
_TRANSITION_TARGETS: Mapping[StoryStatus, Callable[[c.Transition], c.Command]] = {
    StoryStatus.PLANNING: lambda t: c.RequestPlanning(story_id=t.story_id, attempt_id=t.attempt_id),
    StoryStatus.PREVIEWING: lambda t: c.RequestPreview(
        story_id=t.story_id, attempt_id=t.attempt_id
    ),
    StoryStatus.RENDERING: lambda t: c.RequestRender(story_id=t.story_id, attempt_id=t.attempt_id),
    StoryStatus.ARCHIVED: lambda t: c.Archive(story_id=t.story_id),
}


@_handles(c.Transition)
def _transition(command: c.Transition, state: StoryView) -> list[Event]:
    current = _status(state)
    edge = (current, command.to)
    if command.to not in USER_TRANSITIONS[current]:
        if edge in SYSTEM_TRANSITIONS:
            message = f"the story becomes {command.to.value} when its {current.value} work finishes"
        else:
            message = f"cannot go from {current.value} to {command.to.value}"
        # A cancelled re-plan lands in planned; a cancelled first plan in draft.
        if edge == (StoryStatus.PLANNING, StoryStatus.PLANNED) and state.scenes:
            return decide(c.Cancel(story_id=command.story_id), state)
        raise IllegalTransition(message, current, USER_TRANSITIONS[current])
    if edge == (StoryStatus.PLANNING, StoryStatus.DRAFT) and state.scenes:
        raise IllegalTransition(
            "cancelling a re-plan keeps the existing plan: ask for 'planned'",
            current,
            USER_TRANSITIONS[current],
        )
    build = _TRANSITION_COMMANDS.get(edge) or _TRANSITION_TARGETS[command.to]
    return decide(build(command), state)


# -- scenes ----------------------------------------------------------------------------


def _scene_defaults(state: StoryView, position: int) -> dict[str, Any]:
    spec = _spec(state)
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


@_handles(c.CreateScenes)
def _create_scenes(command: c.CreateScenes, state: StoryView) -> list[Event]:
    _require_state(state, SCENES_EDITABLE, "add scenes")
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
        specs.append(_validated(SceneSpec, data, prefix=f"scenes.{index}."))
    return [e.ScenesCreated(story_id=command.story_id, scenes=tuple(specs))]


def _existing_scene(state: StoryView, scene_id: str) -> SceneSpec:
    scene = state.scene(scene_id)
    if scene is None:
        raise NotFound(f"scene {scene_id} does not exist in story {state.story_id}")
    return scene.spec


@_handles(c.UpdateScene)
def _update_scene(command: c.UpdateScene, state: StoryView) -> list[Event]:
    old = _existing_scene(state, command.scene_id)
    _require_state(state, SCENES_EDITABLE, "edit scenes")
    for fixed in ("scene_id", "position"):
        if fixed in command.changes:
            rule = "use reorder to move a scene" if fixed == "position" else "cannot be changed"
            raise InvalidInput.field(fixed, rule)
    scene: SceneSpec = _validated(SceneSpec, _merge(old.model_dump(), command.changes))
    changed = tuple(
        name for name in SceneSpec.model_fields if getattr(scene, name) != getattr(old, name)
    )
    if not changed:
        return []
    return [e.SceneUpdated(story_id=command.story_id, scene=scene, changed=changed)]


@_handles(c.ReorderScene)
def _reorder_scene(command: c.ReorderScene, state: StoryView) -> list[Event]:
    old = _existing_scene(state, command.scene_id)
    _require_state(state, SCENES_EDITABLE, "reorder scenes")
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


@_handles(c.RequestSceneGeneration)
def _request_scene_generation(command: c.RequestSceneGeneration, state: StoryView) -> list[Event]:
    _existing_scene(state, command.scene_id)
    _require_state(state, SCENES_EDITABLE, "generate a scene")
    return [
        e.SceneGenerationRequested(
            story_id=command.story_id,
            scene_id=command.scene_id,
            job_id=command.job_id,
            seed=command.seed,
            profile=preview_profile(_spec(state)),
        )
    ]


# -- the stages' commands: stale results yield nothing ---------------------------------


@_handles(c.RecordPlan)
def _record_plan(command: c.RecordPlan, state: StoryView) -> list[Event]:
    if not state.is_current(command.attempt_id, Stage.PLANNING):
        return []
    if not command.scenes:
        raise InvalidInput.field("scenes", "a plan has at least one scene")
    scenes = tuple(
        scene if scene.position == index else scene.model_copy(update={"position": index})
        for index, scene in enumerate(command.scenes)
    )
    duration = sum(scene.duration_seconds for scene in scenes)
    return [
        e.StoryPlanned(
            story_id=command.story_id,
            attempt_id=command.attempt_id,
            scenes=scenes,
            planner=command.planner,
            cost_estimate=estimate_cost(len(scenes), duration, command.costs),
        )
    ]


@_handles(c.RecordPlanningFailure)
def _record_planning_failure(command: c.RecordPlanningFailure, state: StoryView) -> list[Event]:
    if not state.is_current(command.attempt_id, Stage.PLANNING):
        return []
    return [
        e.PlanningFailed(
            story_id=command.story_id,
            attempt_id=command.attempt_id,
            code=command.code,
            reason=command.reason,
        )
    ]


@_handles(c.RecordSceneGenerated)
def _record_scene_generated(command: c.RecordSceneGenerated, state: StoryView) -> list[Event]:
    scene = state.scene(command.scene_id)
    if scene is None or not state.scene_job_is_current(command.scene_id, command.attempt_id):
        return []
    if scene.assets_attempt_id == command.attempt_id:
        return []
    return [
        e.SceneGenerated(
            story_id=command.story_id,
            attempt_id=command.attempt_id,
            scene_id=command.scene_id,
            assets=command.assets,
            provider=command.provider,
            cost=command.cost,
            cache_hit=command.cache_hit,
            generation_seconds=command.generation_seconds,
        )
    ]


@_handles(c.RecordSceneFailure)
def _record_scene_failure(command: c.RecordSceneFailure, state: StoryView) -> list[Event]:
    scene = state.scene(command.scene_id)
    if scene is None or not state.scene_job_is_current(command.scene_id, command.attempt_id):
        return []
    if scene.assets_attempt_id == command.attempt_id:
        return []
    return [
        e.SceneFailed(
            story_id=command.story_id,
            attempt_id=command.attempt_id,
            scene_id=command.scene_id,
            code=command.code,
            reason=command.reason,
            attempts=command.attempts,
        )
    ]


@_handles(c.RecordPreviewComposed)
def _record_preview(command: c.RecordPreviewComposed, state: StoryView) -> list[Event]:
    if not state.is_current(command.attempt_id, Stage.PREVIEW):
        return []
    return [
        e.PreviewComposed(
            story_id=command.story_id, attempt_id=command.attempt_id, media=command.media
        )
    ]


@_handles(c.RecordFinalComposed)
def _record_final_composed(command: c.RecordFinalComposed, state: StoryView) -> list[Event]:
    if not state.is_current(command.attempt_id, Stage.RENDER) or state.master is not None:
        return []
    return [
        e.FinalComposed(
            story_id=command.story_id, attempt_id=command.attempt_id, media=command.media
        )
    ]


@_handles(c.RecordRenderCompleted)
def _record_render_completed(command: c.RecordRenderCompleted, state: StoryView) -> list[Event]:
    if not state.is_current(command.attempt_id, Stage.RENDER):
        return []
    return [
        e.RenderCompleted(
            story_id=command.story_id,
            attempt_id=command.attempt_id,
            media=command.media,
            upscaled=command.upscaled,
        )
    ]


@_handles(c.RecordStageFailure)
def _record_stage_failure(command: c.RecordStageFailure, state: StoryView) -> list[Event]:
    if not state.is_current(command.attempt_id):
        return []
    return [
        e.StoryFailed(
            story_id=command.story_id,
            attempt_id=command.attempt_id,
            stage=command.stage,
            code=command.code,
            reason=command.reason,
        )
    ]


@_handles(c.ClaimJob)
def _claim_job(command: c.ClaimJob, state: StoryView) -> list[Event]:
    started = command.started
    if not state.is_current(started.attempt_id) or state.attempt is None:
        return []
    if started.job_id in state.attempt.started_jobs and not command.takeover:
        return []
    return [started]


@_handles(c.RecordFact)
def _record_fact(command: c.RecordFact, state: StoryView) -> list[Event]:
    if not isinstance(command.event, _FACTS_WITHOUT_RULES):
        raise TypeError(f"{type(command.event).__name__} has rules: send its own command")
    if command.event.story_id != command.story_id:
        raise ValueError("the fact is about another story")
    return [command.event]
