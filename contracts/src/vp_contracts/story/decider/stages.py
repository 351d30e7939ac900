"""The stages' commands: results of planning, scene generation, composing and finishing.
A result for an attempt that is no longer current yields nothing (the work is simply no
longer wanted)."""

from __future__ import annotations

from vp_contracts.events import jobs as j
from vp_contracts.events import story as e
from vp_contracts.events.base import Event
from vp_contracts.story import commands as c
from vp_contracts.story.decider.registry import handles
from vp_contracts.story.errors import (
    InvalidInput,
)
from vp_contracts.story.rules import (
    estimate_cost,
)
from vp_contracts.story.view import StoryView
from vp_contracts.values import Stage, StoryStatus

_FACTS_WITHOUT_RULES = (
    e.CostRecorded,
    j.JobQueued,
    j.JobStarted,
    j.JobSucceeded,
    j.JobRetried,
    j.JobFailed,
    j.JobCancelled,
)


@handles(c.RecordPlan)
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


@handles(c.RecordPlanningFailure)
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


@handles(c.RecordSceneGenerated)
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


@handles(c.RecordSceneFailure)
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


@handles(c.RecordPreviewComposed)
def _record_preview(command: c.RecordPreviewComposed, state: StoryView) -> list[Event]:
    if not state.is_current(command.attempt_id, Stage.PREVIEW):
        return []
    return [
        e.PreviewComposed(
            story_id=command.story_id, attempt_id=command.attempt_id, media=command.media
        )
    ]


@handles(c.RecordFinalComposed)
def _record_final_composed(command: c.RecordFinalComposed, state: StoryView) -> list[Event]:
    if not state.is_current(command.attempt_id, Stage.RENDER) or state.master is not None:
        return []
    return [
        e.FinalComposed(
            story_id=command.story_id, attempt_id=command.attempt_id, media=command.media
        )
    ]


@handles(c.RecordRenderCompleted)
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


@handles(c.RecordFinalStreamed)
def _record_final_streamed(command: c.RecordFinalStreamed, state: StoryView) -> list[Event]:
    attempt, final = state.attempt, state.final
    if (
        state.status != StoryStatus.COMPLETED
        or attempt is None
        or attempt.id != command.attempt_id
        or final is None
        or final.hls_key == command.hls_key
    ):
        return []  # another run since, or recorded already
    return [
        e.FinalStreamed(
            story_id=command.story_id, attempt_id=command.attempt_id, hls_key=command.hls_key
        )
    ]


@handles(c.RecordStageFailure)
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


@handles(c.ClaimJob)
def _claim_job(command: c.ClaimJob, state: StoryView) -> list[Event]:
    started = command.started
    if not state.is_current(started.attempt_id) or state.attempt is None:
        return []
    if started.job_id in state.attempt.started_jobs and not command.takeover:
        return []
    return [started]


@handles(c.RecordFact)
def _record_fact(command: c.RecordFact, state: StoryView) -> list[Event]:
    if not isinstance(command.event, _FACTS_WITHOUT_RULES):
        raise TypeError(f"{type(command.event).__name__} has rules: send its own command")
    if command.event.story_id != command.story_id:
        raise ValueError("the fact is about another story")
    return [command.event]
