"""Job lifecycle facts, v1.

A job is one unit of work a story causes (planning, a scene, composing, upscaling). Stage
facts imply most of a job's life (a preview request queues its scene jobs, ``scene_generated``
finishes one); these events record what only the worker knows: that it started, that it will
retry, and the outcome of jobs no stage fact covers.
"""

from __future__ import annotations

from pydantic import Field

from vp_contracts.events.base import Event
from vp_contracts.values import JobKind


class _JobEvent(Event):
    job_id: str = Field(min_length=1, max_length=64, description="Id of the job")
    kind: JobKind = Field(description="What kind of work")
    attempt_id: str = Field(
        description="The planning, preview or render attempt the job belongs to"
    )
    scene_id: str | None = Field(default=None, description="Scene, for scene jobs")


class JobQueued(_JobEvent):
    """A job was put in a queue."""

    name = "job_queued"


class JobStarted(_JobEvent):
    """A worker took the job."""

    name = "job_started"

    worker: str = Field(description="Which worker (service and host) runs it")
    attempt: int = Field(ge=1, description="Delivery attempt, 1 for the first try")


class JobSucceeded(_JobEvent):
    """The job finished."""

    name = "job_succeeded"

    duration_seconds: float = Field(ge=0, description="Wall time of the successful attempt")


class JobRetried(_JobEvent):
    """An attempt failed with a transient error; the job will run again."""

    name = "job_retried"

    attempt: int = Field(ge=1, description="The attempt that failed")
    error: str = Field(description="Why it failed")
    retry_in_seconds: float = Field(ge=0, description="Delay before the next attempt")


class JobFailed(_JobEvent):
    """The job gave up."""

    name = "job_failed"

    attempts: int = Field(ge=1, description="How many times it was tried")
    error: str = Field(description="Why it failed")


class JobCancelled(_JobEvent):
    """The job was cancelled before it finished."""

    name = "job_cancelled"
