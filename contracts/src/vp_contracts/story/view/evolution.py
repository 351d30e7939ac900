"""How each fact changes a story: ``evolve(state, fact)``, and ``fold(facts)`` from nothing. Pure, total (an unknown fact changes nothing) and the reference every consumer's projection follows."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import Any, TypeVar

from vp_contracts.envelope import RecordedEvent
from vp_contracts.events import jobs as j
from vp_contracts.events import story as e
from vp_contracts.events.base import Event
from vp_contracts.story.rules import story_language
from vp_contracts.story.view.state import (
    INITIAL,
    Attempt,
    ContentCheck,
    Failure,
    Feedback,
    SceneStatus,
    SceneView,
    StoryView,
)
from vp_contracts.values import (
    JobKind,
    SceneSpec,
    Stage,
    StoryStatus,
)

_CANCELLED_TO = {
    Stage.PREVIEW: StoryStatus.PLANNED,
    Stage.RENDER: StoryStatus.PREVIEW_READY,
}

EventT = TypeVar("EventT", bound=Event)
Changes = dict[str, Any]
"""Fields of the view a fact changes; empty for a stale or informational fact."""
_Apply = Callable[[StoryView, Any], Changes]
_APPLY: dict[type[Event], _Apply] = {}
_UNCHANGED: Changes = {}


def _on(
    event_type: type[EventT],
) -> Callable[[Callable[[StoryView, EventT], Changes]], Callable[[StoryView, EventT], Changes]]:
    def register(
        apply: Callable[[StoryView, EventT], Changes],
    ) -> Callable[[StoryView, EventT], Changes]:
        _APPLY[event_type] = apply
        return apply

    return register


def evolve(state: StoryView, recorded: RecordedEvent[Event]) -> StoryView:
    """Apply one recorded fact. Unknown or stale facts only advance the version."""
    apply = _APPLY.get(type(recorded.event))
    changes = apply(state, recorded.event) if apply is not None else _UNCHANGED
    if state.created_at is None:
        changes = {**changes, "created_at": recorded.time, "story_id": recorded.event.story_id}
    attempt = changes.get("attempt")
    if isinstance(attempt, Attempt) and (state.attempt is None or state.attempt.id != attempt.id):
        changes = {**changes, "attempt": replace(attempt, requested_at=recorded.time)}
    # One copy per fact: replaying long stories is dominated by these copies.
    return replace(
        state,
        **changes,
        version=recorded.sequence,
        event_count=state.event_count + 1,
        updated_at=recorded.time,
    )


def fold(events: Iterable[RecordedEvent[Event]], state: StoryView = INITIAL) -> StoryView:
    """Fold facts, oldest first, onto ``state``."""
    for recorded in events:
        state = evolve(state, recorded)
    return state


def _after_edit(state: StoryView) -> StoryStatus | None:
    # Editing scenes of a ready preview sets the preview aside (preview_ready -> planned).
    return StoryStatus.PLANNED if state.status == StoryStatus.PREVIEW_READY else state.status


def _renumbered(scenes: Iterable[SceneView]) -> tuple[SceneView, ...]:
    ordered = list(scenes)
    return tuple(
        scene
        if scene.spec.position == index
        else replace(scene, spec=scene.spec.model_copy(update={"position": index}))
        for index, scene in enumerate(ordered)
    )


def _map_scenes(
    state: StoryView, ids: Iterable[str], change: Callable[[SceneView], SceneView]
) -> tuple[SceneView, ...]:
    wanted = set(ids)
    return tuple(change(scene) if scene.scene_id in wanted else scene for scene in state.scenes)


@_on(e.StoryCreated)
def _created(state: StoryView, event: e.StoryCreated) -> Changes:
    return dict(
        story_id=event.story_id,
        status=StoryStatus.DRAFT,
        owner_id=event.owner_id,
        spec=event.spec,
        variant_of=event.variant_of,
        cost_estimate=event.cost_estimate,
        language=event.language or story_language(event.spec),
    )


@_on(e.StoryUpdated)
def _updated(state: StoryView, event: e.StoryUpdated) -> Changes:
    return dict(
        spec=event.spec,
        cost_estimate=event.cost_estimate,
        status=_after_edit(state),
        language=event.language or story_language(event.spec),
    )


@_on(e.FeedbackGiven)
def _feedback_given(state: StoryView, event: e.FeedbackGiven) -> Changes:
    return dict(feedback=Feedback(event.rating, event.comment))


@_on(e.ContentChecked)
def _content_checked(state: StoryView, event: e.ContentChecked) -> Changes:
    return dict(content_check=ContentCheck(event.run, event.allowed, event.field, event.reason))


@_on(e.PlanningRequested)
def _planning_requested(state: StoryView, event: e.PlanningRequested) -> Changes:
    attempt = Attempt(id=event.attempt_id, stage=Stage.PLANNING)
    return dict(status=StoryStatus.PLANNING, attempt=attempt, failure=None)


@_on(e.StoryPlanned)
def _planned(state: StoryView, event: e.StoryPlanned) -> Changes:
    if not state.is_current(event.attempt_id, Stage.PLANNING):
        return _UNCHANGED
    previous = {scene.scene_id: scene for scene in state.scenes}
    scenes = tuple(_replanned(previous.get(spec.scene_id), spec) for spec in event.scenes)
    return dict(
        status=StoryStatus.PLANNED,
        scenes=scenes,
        planner=event.planner,
        cost_estimate=event.cost_estimate,
    )


def _replanned(previous: SceneView | None, spec: SceneSpec) -> SceneView:
    # A re-plan that keeps a scene unchanged keeps its assets.
    if previous is not None and previous.spec == spec:
        return previous
    return SceneView(spec=spec)


@_on(e.PlanningFailed)
def _planning_failed(state: StoryView, event: e.PlanningFailed) -> Changes:
    if not state.is_current(event.attempt_id, Stage.PLANNING):
        return _UNCHANGED
    failure = Failure(Stage.PLANNING, event.code, event.reason, event.attempt_id)
    return dict(status=StoryStatus.FAILED, failure=failure)


@_on(e.ScenesCreated)
def _scenes_created(state: StoryView, event: e.ScenesCreated) -> Changes:
    added = (SceneView(spec=spec) for spec in event.scenes)
    return dict(scenes=_renumbered((*state.scenes, *added)), status=_after_edit(state))


_ASSET_FIELDS = frozenset(
    {"prompt", "seed", "duration_seconds", "narration", "background_asset_id", "narration_asset_id"}
)


@_on(e.SceneUpdated)
def _scene_updated(state: StoryView, event: e.SceneUpdated) -> Changes:
    def change(scene: SceneView) -> SceneView:
        if _ASSET_FIELDS.isdisjoint(event.changed):
            return replace(scene, spec=event.scene)
        return SceneView(spec=event.scene)

    scenes = _map_scenes(state, [event.scene.scene_id], change)
    return dict(scenes=_renumbered(scenes), status=_after_edit(state))


@_on(e.ScenesReordered)
def _scenes_reordered(state: StoryView, event: e.ScenesReordered) -> Changes:
    by_id = {scene.scene_id: scene for scene in state.scenes}
    ordered = [by_id[sid] for sid in event.order if sid in by_id]
    ordered += [scene for scene in state.scenes if scene.scene_id not in set(event.order)]
    return dict(scenes=_renumbered(ordered), status=_after_edit(state))


@_on(e.SceneGenerationRequested)
def _scene_generation_requested(state: StoryView, event: e.SceneGenerationRequested) -> Changes:
    def change(scene: SceneView) -> SceneView:
        spec = scene.spec.model_copy(update={"seed": event.seed})
        return SceneView(spec=spec, status=SceneStatus.QUEUED, job_id=event.job_id)

    return dict(scenes=_map_scenes(state, [event.scene_id], change), status=_after_edit(state))


def _queue(scene: SceneView) -> SceneView:
    return replace(scene, status=SceneStatus.QUEUED, error=None)


@_on(e.PreviewRequested)
def _preview_requested(state: StoryView, event: e.PreviewRequested) -> Changes:
    attempt = Attempt(
        id=event.attempt_id, stage=Stage.PREVIEW, scene_ids=event.scene_ids, profile=event.profile
    )
    scenes = _map_scenes(state, event.scene_ids, _queue)
    return dict(status=StoryStatus.PREVIEWING, attempt=attempt, scenes=scenes, failure=None)


@_on(e.RenderRequested)
def _render_requested(state: StoryView, event: e.RenderRequested) -> Changes:
    attempt = Attempt(
        id=event.attempt_id, stage=Stage.RENDER, scene_ids=event.scene_ids, profile=event.profile
    )
    scenes = _map_scenes(state, event.scene_ids, _queue)
    return dict(
        status=StoryStatus.RENDERING,
        attempt=attempt,
        scenes=scenes,
        master=None,
        final=None,
        failure=None,
    )


@_on(j.JobStarted)
def _job_started(state: StoryView, event: j.JobStarted) -> Changes:
    changes: Changes = {}
    if state.attempt is not None and state.attempt.id == event.attempt_id:
        changes["attempt"] = replace(
            state.attempt, started_jobs=tuple(sorted({*state.attempt.started_jobs, event.job_id}))
        )
    scene = state.scene(event.scene_id) if event.kind == JobKind.SCENE and event.scene_id else None
    if (
        scene is not None
        and scene.status == SceneStatus.QUEUED
        and state.scene_job_is_current(scene.scene_id, event.attempt_id)
    ):
        changes["scenes"] = _map_scenes(
            state, [scene.scene_id], lambda s: replace(s, status=SceneStatus.GENERATING)
        )
    return changes


@_on(e.SceneGenerated)
def _scene_generated(state: StoryView, event: e.SceneGenerated) -> Changes:
    scene = state.scene(event.scene_id)
    if scene is None or not state.scene_job_is_current(event.scene_id, event.attempt_id):
        return _UNCHANGED

    def change(s: SceneView) -> SceneView:
        return replace(
            s,
            status=SceneStatus.GENERATED,
            assets=event.assets,
            assets_attempt_id=event.attempt_id,
            provider=event.provider,
            cost=event.cost,
            job_id=None,
            error=None,
        )

    return dict(scenes=_map_scenes(state, [event.scene_id], change))


@_on(e.SceneFailed)
def _scene_failed(state: StoryView, event: e.SceneFailed) -> Changes:
    scene = state.scene(event.scene_id)
    if scene is None or not state.scene_job_is_current(event.scene_id, event.attempt_id):
        return _UNCHANGED
    scenes = _map_scenes(
        state,
        [event.scene_id],
        lambda s: replace(s, status=SceneStatus.FAILED, job_id=None, error=event.reason),
    )
    if scene.job_id is not None or state.attempt is None:
        return dict(scenes=scenes)  # a single-scene job failing does not fail the story
    failure = Failure(
        state.attempt.stage, event.code, event.reason, event.attempt_id, event.scene_id
    )
    return dict(scenes=scenes, status=StoryStatus.FAILED, failure=failure)


@_on(e.PreviewComposed)
def _preview_composed(state: StoryView, event: e.PreviewComposed) -> Changes:
    if not state.is_current(event.attempt_id, Stage.PREVIEW):
        return _UNCHANGED
    return dict(status=StoryStatus.PREVIEW_READY, preview=event.media)


@_on(e.FinalComposed)
def _final_composed(state: StoryView, event: e.FinalComposed) -> Changes:
    if not state.is_current(event.attempt_id, Stage.RENDER):
        return _UNCHANGED
    return dict(master=event.media)


@_on(e.RenderCompleted)
def _render_completed(state: StoryView, event: e.RenderCompleted) -> Changes:
    if not state.is_current(event.attempt_id, Stage.RENDER):
        return _UNCHANGED
    return dict(status=StoryStatus.COMPLETED, final=event.media)


@_on(e.FinalStreamed)
def _final_streamed(state: StoryView, event: e.FinalStreamed) -> Changes:
    attempt, final = state.attempt, state.final
    if attempt is None or attempt.id != event.attempt_id or final is None:
        return _UNCHANGED
    return dict(final=final.model_copy(update={"hls_key": event.hls_key}))


@_on(e.StoryFailed)
def _failed(state: StoryView, event: e.StoryFailed) -> Changes:
    if not state.is_current(event.attempt_id):
        return _UNCHANGED
    failure = Failure(event.stage, event.code, event.reason, event.attempt_id)
    return dict(status=StoryStatus.FAILED, failure=failure)


@_on(e.StoryCancelled)
def _cancelled(state: StoryView, event: e.StoryCancelled) -> Changes:
    if state.attempt is None or not state.is_current(event.attempt_id):
        return _UNCHANGED
    if state.attempt.stage == Stage.PLANNING:
        # A cancelled re-plan keeps the plan the story had; a first plan goes back to draft.
        target = StoryStatus.PLANNED if state.scenes else StoryStatus.DRAFT
    else:
        target = _CANCELLED_TO[state.attempt.stage]
    return dict(status=target, scenes=_map_scenes(state, state.attempt.scene_ids, _settle))


def _settle(scene: SceneView) -> SceneView:
    if scene.status not in (SceneStatus.QUEUED, SceneStatus.GENERATING):
        return scene
    return replace(scene, status=SceneStatus.GENERATED if scene.assets else SceneStatus.PENDING)


@_on(e.StoryArchived)
def _archived(state: StoryView, event: e.StoryArchived) -> Changes:
    return dict(status=StoryStatus.ARCHIVED)


@_on(e.StoryRestored)
def _restored(state: StoryView, event: e.StoryRestored) -> Changes:
    return dict(status=StoryStatus.DRAFT)


@_on(e.StoryReset)
def _reset(state: StoryView, event: e.StoryReset) -> Changes:
    return dict(status=StoryStatus.DRAFT, failure=None)


@_on(e.StoryReopened)
def _reopened(state: StoryView, event: e.StoryReopened) -> Changes:
    return dict(status=StoryStatus.PLANNED)


@_on(e.CostRecorded)
def _cost_recorded(state: StoryView, event: e.CostRecorded) -> Changes:
    return dict(actual_cost=state.actual_cost + event.amount)


@_on(j.JobCancelled)
def _job_cancelled(state: StoryView, event: j.JobCancelled) -> Changes:
    # Cancelling a single-scene job puts the scene back as it was; results that come later
    # no longer match the scene's job and are ignored.
    scene = state.scene(event.scene_id) if event.scene_id else None
    if scene is None or scene.job_id != event.job_id:
        return _UNCHANGED
    return dict(
        scenes=_map_scenes(state, [scene.scene_id], lambda s: replace(_settle(s), job_id=None))
    )
