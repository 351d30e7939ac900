"""Jobs as a projection of the Story log (pure).

Stage facts imply most of a job's life (a preview request queues the preview job and one job
per scene; ``scene_generated`` finishes a scene job); job facts add what only a worker knows
(started, retried). A job that reached a terminal status keeps it: a late result of a
cancelled attempt does not bring it back.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from vp_contracts.envelope import RecordedEvent
from vp_contracts.events import jobs as j
from vp_contracts.events import story as e
from vp_contracts.events.base import Event
from vp_contracts.ids import scene_job_id, stage_job_id
from vp_contracts.story.view import StoryView
from vp_contracts.values import JobKind, JobStatus

TERMINAL = frozenset({JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.CANCELLED})

JOB_TYPES = ("planning", "preview", "final", "scene", "upscale")
"""Job types the API shows. Composing is part of the preview or final job."""


@dataclass(frozen=True)
class NewJob:
    """A job to create (if it does not exist yet)."""

    id: str
    type: str
    attempt_id: str
    created_at: datetime
    scene_id: str | None = None


@dataclass(frozen=True)
class JobChange:
    """Field changes for one job; applied only while the job is not terminal."""

    job_id: str
    fields: dict[str, Any]
    only_if_queued: bool = False


@dataclass(frozen=True)
class CancelAttempt:
    """Cancel every unfinished job of an attempt."""

    attempt_id: str
    at: datetime


@dataclass(frozen=True)
class AddCost:
    """Add an amount to a job (and to its stage job)."""

    job_ids: tuple[str, ...]
    amount: Decimal
    provider: str


@dataclass
class JobEffects:
    """Everything one fact does to the jobs table."""

    created: list[NewJob] = field(default_factory=list)
    changes: list[JobChange] = field(default_factory=list)
    cancelled: list[CancelAttempt] = field(default_factory=list)
    costs: list[AddCost] = field(default_factory=list)


_Rule = Callable[[StoryView, StoryView, Any, datetime, JobEffects], None]
_RULES: dict[type[Event], _Rule] = {}


def _rule(event_type: type[Event]) -> Callable[[_Rule], _Rule]:
    def register(rule: _Rule) -> _Rule:
        _RULES[event_type] = rule
        return rule

    return register


def job_effects(old: StoryView, new: StoryView, recorded: RecordedEvent[Event]) -> JobEffects:
    """What ``recorded`` (which turned ``old`` into ``new``) does to the story's jobs."""
    effects = JobEffects()
    rule = _RULES.get(type(recorded.event))
    if rule is not None:
        rule(old, new, recorded.event, recorded.time, effects)
    return effects


def _done(status: JobStatus, at: datetime, **extra: Any) -> dict[str, Any]:
    return {"status": status.value, "finished_at": at, **extra}


def _stage_progress(view: StoryView, share: float) -> float:
    scenes = view.attempt_scenes()
    if not scenes or view.attempt is None:
        return 0.0
    done = sum(1 for s in scenes if s.assets_attempt_id == view.attempt.id)
    return round(share * done / len(scenes), 4)


@_rule(e.PlanningRequested)
def _planning_requested(
    old: StoryView, new: StoryView, event: e.PlanningRequested, at: datetime, fx: JobEffects
) -> None:
    fx.created.append(NewJob(event.attempt_id, "planning", event.attempt_id, at))


def _scene_jobs(attempt_id: str, scene_ids: tuple[str, ...], at: datetime) -> list[NewJob]:
    return [
        NewJob(scene_job_id(attempt_id, sid), "scene", attempt_id, at, sid) for sid in scene_ids
    ]


@_rule(e.PreviewRequested)
def _preview_requested(
    old: StoryView, new: StoryView, event: e.PreviewRequested, at: datetime, fx: JobEffects
) -> None:
    fx.created.append(NewJob(event.attempt_id, "preview", event.attempt_id, at))
    fx.created += _scene_jobs(event.attempt_id, event.scene_ids, at)


@_rule(e.RenderRequested)
def _render_requested(
    old: StoryView, new: StoryView, event: e.RenderRequested, at: datetime, fx: JobEffects
) -> None:
    fx.created.append(NewJob(event.attempt_id, "final", event.attempt_id, at))
    fx.created += _scene_jobs(event.attempt_id, event.scene_ids, at)


@_rule(e.SceneGenerationRequested)
def _scene_requested(
    old: StoryView, new: StoryView, event: e.SceneGenerationRequested, at: datetime, fx: JobEffects
) -> None:
    fx.created.append(NewJob(event.job_id, "scene", event.job_id, at, event.scene_id))


@_rule(j.JobQueued)
def _job_queued(
    old: StoryView, new: StoryView, event: j.JobQueued, at: datetime, fx: JobEffects
) -> None:
    fx.created.append(
        NewJob(event.job_id, _type_of(event.kind), event.attempt_id, at, event.scene_id)
    )


def _type_of(kind: JobKind) -> str:
    return kind.value if kind.value in JOB_TYPES else "preview"


@_rule(j.JobStarted)
def _job_started(
    old: StoryView, new: StoryView, event: j.JobStarted, at: datetime, fx: JobEffects
) -> None:
    running = {
        "status": JobStatus.RUNNING.value,
        "started_at": at,
        "attempts": event.attempt,
        "error": None,
    }
    if event.kind == JobKind.COMPOSE:
        fx.changes.append(JobChange(event.attempt_id, {"status": JobStatus.RUNNING.value}))
        return
    if event.kind == JobKind.UPSCALE:
        fx.created.append(NewJob(event.job_id, "upscale", event.attempt_id, at))
    fx.changes.append(JobChange(event.job_id, running))
    if event.attempt_id != event.job_id:
        # The first scene job to start starts its preview or final job.
        fx.changes.append(
            JobChange(
                event.attempt_id,
                {"status": JobStatus.RUNNING.value, "started_at": at},
                only_if_queued=True,
            )
        )


@_rule(j.JobRetried)
def _job_retried(
    old: StoryView, new: StoryView, event: j.JobRetried, at: datetime, fx: JobEffects
) -> None:
    fx.changes.append(
        JobChange(
            event.job_id,
            {"status": JobStatus.QUEUED.value, "attempts": event.attempt, "error": event.error},
        )
    )


@_rule(j.JobSucceeded)
def _job_succeeded(
    old: StoryView, new: StoryView, event: j.JobSucceeded, at: datetime, fx: JobEffects
) -> None:
    fx.changes.append(JobChange(event.job_id, _done(JobStatus.SUCCEEDED, at, progress=1.0)))


@_rule(j.JobFailed)
def _job_failed(
    old: StoryView, new: StoryView, event: j.JobFailed, at: datetime, fx: JobEffects
) -> None:
    fx.changes.append(
        JobChange(
            event.job_id, _done(JobStatus.FAILED, at, error=event.error, attempts=event.attempts)
        )
    )


@_rule(j.JobCancelled)
def _job_cancelled(
    old: StoryView, new: StoryView, event: j.JobCancelled, at: datetime, fx: JobEffects
) -> None:
    fx.changes.append(JobChange(event.job_id, _done(JobStatus.CANCELLED, at)))


@_rule(e.StoryPlanned)
def _planned(
    old: StoryView, new: StoryView, event: e.StoryPlanned, at: datetime, fx: JobEffects
) -> None:
    fx.changes.append(
        JobChange(
            event.attempt_id, _done(JobStatus.SUCCEEDED, at, progress=1.0, provider=event.planner)
        )
    )


@_rule(e.PlanningFailed)
def _planning_failed(
    old: StoryView, new: StoryView, event: e.PlanningFailed, at: datetime, fx: JobEffects
) -> None:
    fx.changes.append(JobChange(event.attempt_id, _done(JobStatus.FAILED, at, error=event.reason)))


def _scene_job_of(old: StoryView, attempt_id: str, scene_id: str) -> tuple[str, bool]:
    scene = old.scene(scene_id)
    single = scene is not None and scene.job_id == attempt_id
    return (attempt_id if single else scene_job_id(attempt_id, scene_id)), single


@_rule(e.SceneGenerated)
def _scene_generated(
    old: StoryView, new: StoryView, event: e.SceneGenerated, at: datetime, fx: JobEffects
) -> None:
    job_id, single = _scene_job_of(old, event.attempt_id, event.scene_id)
    fx.changes.append(
        JobChange(
            job_id,
            _done(
                JobStatus.SUCCEEDED,
                at,
                progress=1.0,
                provider=event.provider,
                cache_hit=event.cache_hit,
            ),
        )
    )
    if not single and new.is_current(event.attempt_id):
        fx.changes.append(JobChange(event.attempt_id, {"progress": _stage_progress(new, 0.9)}))


@_rule(e.SceneFailed)
def _scene_failed(
    old: StoryView, new: StoryView, event: e.SceneFailed, at: datetime, fx: JobEffects
) -> None:
    job_id, single = _scene_job_of(old, event.attempt_id, event.scene_id)
    fx.changes.append(
        JobChange(job_id, _done(JobStatus.FAILED, at, error=event.reason, attempts=event.attempts))
    )
    if not single:
        fx.changes.append(
            JobChange(event.attempt_id, _done(JobStatus.FAILED, at, error=event.reason))
        )


@_rule(e.PreviewComposed)
def _preview_composed(
    old: StoryView, new: StoryView, event: e.PreviewComposed, at: datetime, fx: JobEffects
) -> None:
    fx.changes.append(JobChange(event.attempt_id, _done(JobStatus.SUCCEEDED, at, progress=1.0)))


@_rule(e.FinalComposed)
def _final_composed(
    old: StoryView, new: StoryView, event: e.FinalComposed, at: datetime, fx: JobEffects
) -> None:
    fx.created.append(
        NewJob(stage_job_id(event.attempt_id, "upscale"), "upscale", event.attempt_id, at)
    )
    fx.changes.append(JobChange(event.attempt_id, {"progress": 0.95}))


@_rule(e.RenderCompleted)
def _render_completed(
    old: StoryView, new: StoryView, event: e.RenderCompleted, at: datetime, fx: JobEffects
) -> None:
    fx.changes.append(
        JobChange(
            stage_job_id(event.attempt_id, "upscale"), _done(JobStatus.SUCCEEDED, at, progress=1.0)
        )
    )
    fx.changes.append(JobChange(event.attempt_id, _done(JobStatus.SUCCEEDED, at, progress=1.0)))


@_rule(e.StoryFailed)
def _failed(
    old: StoryView, new: StoryView, event: e.StoryFailed, at: datetime, fx: JobEffects
) -> None:
    if not old.is_current(event.attempt_id):
        return
    fx.changes.append(JobChange(event.attempt_id, _done(JobStatus.FAILED, at, error=event.reason)))
    fx.changes.append(
        JobChange(
            stage_job_id(event.attempt_id, "upscale"),
            _done(JobStatus.FAILED, at, error=event.reason),
        )
    )


@_rule(e.StoryCancelled)
def _cancelled(
    old: StoryView, new: StoryView, event: e.StoryCancelled, at: datetime, fx: JobEffects
) -> None:
    fx.cancelled.append(CancelAttempt(event.attempt_id, at))


@_rule(e.CostRecorded)
def _cost(
    old: StoryView, new: StoryView, event: e.CostRecorded, at: datetime, fx: JobEffects
) -> None:
    ids = (event.job_id,) if event.job_id == event.attempt_id else (event.job_id, event.attempt_id)
    fx.costs.append(AddCost(ids, event.amount, event.provider))
