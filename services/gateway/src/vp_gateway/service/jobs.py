"""Retry and cancel jobs, and job statistics.

A job belongs to an attempt (a planning, preview or render). Cancelling a job cancels its
attempt; retrying a failed job runs its stage again, and when the story itself failed, the
state machine's retry edge applies: the story is planned again (the plan and every cached
asset are reused), ready for a new preview.
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Protocol

from vp_contracts.events import jobs as j
from vp_contracts.story import commands as c
from vp_contracts.story.errors import NotFound, Refused
from vp_contracts.values import JobKind, JobStatus, StoryStatus
from vp_runtime.eventstore import Outcome
from vp_runtime.web.access import can_read
from vp_runtime.web.auth import Principal

from vp_gateway.domain.jobs import TERMINAL
from vp_gateway.service.stories import RequestContext, Stories

MICROS = Decimal(1_000_000)


class JobFinished(Refused):
    """The job is already over; there is nothing to cancel."""

    code = "job_finished"


class JobNotRetryable(Refused):
    """Only failed or cancelled jobs can be retried."""

    code = "job_not_retryable"


class JobRecord(Protocol):
    """A job as the read model shows it."""

    @property
    def id(self) -> str: ...
    @property
    def story_id(self) -> str: ...
    @property
    def owner_id(self) -> str: ...
    @property
    def attempt_id(self) -> str: ...
    @property
    def scene_id(self) -> str | None: ...
    @property
    def type(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def created_at(self) -> datetime: ...
    @property
    def started_at(self) -> datetime | None: ...
    @property
    def finished_at(self) -> datetime | None: ...


class CostRecord(Protocol):
    @property
    def provider(self) -> str: ...
    @property
    def amount_micros(self) -> int: ...
    @property
    def cache_hit(self) -> bool: ...


class JobQueries(Protocol):
    async def job(self, job_id: str) -> JobRecord | None: ...


@dataclass(frozen=True)
class Retried:
    outcome: Outcome
    job_id: str
    action: str


class Jobs:
    def __init__(self, stories: Stories, queries: JobQueries) -> None:
        self._stories = stories
        self._queries = queries

    async def get(self, job_id: str, principal: Principal) -> JobRecord:
        """The job; NotFound unless the caller owns its story (or is an admin)."""
        job = await self._queries.job(job_id)
        if job is None or not can_read(principal, job.owner_id):
            raise NotFound(f"job {job_id} does not exist")
        return job

    async def cancel(self, ctx: RequestContext, job_id: str) -> Outcome:
        job = await self.get(job_id, ctx.principal)
        if JobStatus(job.status) in TERMINAL:
            raise JobFinished(
                f"job {job.id} is {job.status}: nothing to cancel", {"status": job.status}
            )
        if _is_single_scene(job):
            fact = j.JobCancelled(
                story_id=job.story_id,
                job_id=job.id,
                kind=JobKind.SCENE,
                attempt_id=job.attempt_id,
                scene_id=job.scene_id,
            )
            await self._stories.read(job.story_id, ctx.principal)
            return await self._stories.record(ctx, c.RecordFact(story_id=job.story_id, event=fact))
        outcome = await self._stories.cancel(ctx, job.story_id, job.attempt_id)
        if not outcome.events:
            raise JobFinished(
                f"the attempt of job {job.id} is no longer running", {"status": job.status}
            )
        return outcome

    async def retry(self, ctx: RequestContext, job_id: str) -> Retried:
        """Run the job's stage again: a scene job its scene, a planning job (or any job of a
        failed story) the planning, a preview's or final's job their preview or render."""
        job = await self.get(job_id, ctx.principal)
        stage = await self._queries.job(job.attempt_id)
        stage_type = stage.type if stage else job.type
        if job.status not in (JobStatus.FAILED.value, JobStatus.CANCELLED.value):
            raise JobNotRetryable(
                f"job {job.id} is {job.status}: only failed or cancelled jobs can be retried",
                {"status": job.status},
            )
        if _is_single_scene(job) and job.scene_id is not None:
            view = await self._stories.read(job.story_id, ctx.principal)
            scene = view.scene(job.scene_id)
            seed = scene.spec.seed if scene else None
            outcome, job_id = await self._stories.generate_scene(
                ctx, job.story_id, job.scene_id, seed
            )
            return Retried(outcome, job_id, "scene")
        view = await self._stories.read(job.story_id, ctx.principal)
        if job.type == "planning" or view.status == StoryStatus.FAILED:
            outcome = await self._stories.plan(ctx, job.story_id)
            return Retried(outcome, _new_job_id(outcome), "plan")
        if stage_type == "final":
            outcome = await self._stories.render(ctx, job.story_id)
            return Retried(outcome, _new_job_id(outcome), "render")
        outcome = await self._stories.preview(ctx, job.story_id)
        return Retried(outcome, _new_job_id(outcome), "preview")


def _is_single_scene(job: JobRecord) -> bool:
    return job.type == "scene" and job.attempt_id == job.id


def _new_job_id(outcome: Outcome) -> str:
    attempt = outcome.view.attempt
    event = outcome.events[0].event if outcome.events else None
    job_id = getattr(event, "job_id", None) or getattr(event, "attempt_id", None)
    return str(job_id or (attempt.id if attempt else ""))


@dataclass(frozen=True)
class JobStatistics:
    total: int
    by_status: dict[str, int]
    by_type: dict[str, int]
    success_rate: float | None
    average_generation_seconds: float | None
    average_queue_wait_seconds: float | None
    total_cost: Decimal
    cost_by_provider: dict[str, Decimal]
    cache_hits: int
    average_rating: float | None
    ratings: int


def job_statistics(
    jobs: Sequence[JobRecord], costs: Sequence[CostRecord], ratings: Sequence[int] = ()
) -> JobStatistics:
    by_status = Counter(job.status for job in jobs)
    finished = by_status[JobStatus.SUCCEEDED.value] + by_status[JobStatus.FAILED.value]
    generation = [
        (job.finished_at - job.created_at).total_seconds()
        for job in jobs
        if job.type in ("preview", "final")
        and job.status == JobStatus.SUCCEEDED.value
        and job.finished_at
    ]
    waits = [(job.started_at - job.created_at).total_seconds() for job in jobs if job.started_at]
    by_provider: dict[str, Decimal] = defaultdict(Decimal)
    for cost in costs:
        by_provider[cost.provider] += Decimal(cost.amount_micros) / MICROS
    return JobStatistics(
        total=len(jobs),
        by_status={status.value: by_status.get(status.value, 0) for status in JobStatus},
        by_type=dict(Counter(job.type for job in jobs)),
        success_rate=round(by_status[JobStatus.SUCCEEDED.value] / finished, 4)
        if finished
        else None,
        average_generation_seconds=round(statistics.fmean(generation), 3) if generation else None,
        average_queue_wait_seconds=round(statistics.fmean(waits), 3) if waits else None,
        total_cost=sum((Decimal(c.amount_micros) for c in costs), Decimal(0)) / MICROS,
        cost_by_provider=dict(by_provider),
        cache_hits=sum(1 for cost in costs if cost.cache_hit),
        average_rating=round(statistics.fmean(ratings), 2) if ratings else None,
        ratings=len(ratings),
    )
