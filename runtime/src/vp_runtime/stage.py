"""What every pipeline stage records about a piece of its work (a planning attempt, a scene job,
a compose, a finish), in one place.

A :class:`Job` derives its command ids from the work it does (``derived_id(service, cause,
what)``), so a redelivered message records the same facts under the same ids, once; it names
its worker in ``job_started``, claims work that only one replica may do, turns provider calls
into cost facts and sends progress ticks.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from vp_contracts.events import jobs as j
from vp_contracts.events import story as e
from vp_contracts.events.base import Event
from vp_contracts.ids import derived_id
from vp_contracts.story import commands as c
from vp_contracts.values import JobKind

from vp_runtime.eventstore.port import EventMeta, Outcome, StoryLog
from vp_runtime.messaging.progress import Playable
from vp_runtime.providers.router import Call


class ProgressSink(Protocol):
    async def tick(
        self,
        story_id: str,
        attempt_id: str,
        stage: str,
        percent: float,
        message: str,
        job_id: str | None = None,
        playable: Playable | None = None,
    ) -> None: ...


@dataclass(frozen=True)
class Worker:
    """One stage's worker process: where it records facts and sends progress, what it is called."""

    log: StoryLog
    progress: ProgressSink
    service: str
    """Command ids derive from it: two services never share an id."""
    name: str
    """``service@host:pid``, recorded in ``job_started``."""
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)

    def job(
        self,
        story_id: str,
        attempt_id: str,
        kind: JobKind,
        job_id: str | None = None,
        scene_id: str | None = None,
    ) -> Job:
        """The job of ``kind`` for this attempt (its id defaults to the attempt's)."""
        return Job(self, story_id, attempt_id, kind, job_id or attempt_id, scene_id)


@dataclass(frozen=True)
class Job:
    worker: Worker
    story_id: str
    attempt_id: str
    kind: JobKind
    job_id: str
    scene_id: str | None = None

    @property
    def cause(self) -> str:
        """What the facts are caused by: the scene job, or the attempt a stage job serves."""
        return self.job_id if self.scene_id else self.attempt_id

    def meta(self, what: str) -> EventMeta:
        return EventMeta(
            command_id=derived_id(self.worker.service, self.cause, what),
            at=self.worker.clock(),
            actor=self.worker.name,
            correlation_id=self.attempt_id,
            causation_id=self.cause,
        )

    async def execute(self, command: c.Command, what: str) -> Outcome:
        return await self.worker.log.execute(command, self.meta(what))

    async def record(self, fact: Event, what: str) -> None:
        """Record a fact with no rule of its own (costs, job progress)."""
        await self.execute(c.RecordFact(story_id=self.story_id, event=fact), what)

    def started(self, delivery_attempt: int) -> j.JobStarted:
        return j.JobStarted(
            story_id=self.story_id,
            job_id=self.job_id,
            kind=self.kind,
            attempt_id=self.attempt_id,
            scene_id=self.scene_id,
            worker=self.worker.name,
            attempt=delivery_attempt,
        )

    async def start(self, delivery_attempt: int) -> None:
        """Record that this delivery started the job."""
        await self.record(self.started(delivery_attempt), f"started-{delivery_attempt}")

    async def claim(self, delivery_attempt: int, trigger: int) -> bool:
        """Start a job only one replica may do; False when another holds it. A redelivery
        (``delivery_attempt`` > 1) takes over from a worker that died."""
        command = c.ClaimJob(
            story_id=self.story_id,
            started=self.started(delivery_attempt),
            takeover=delivery_attempt > 1,
        )
        outcome = await self.execute(command, f"claim-{trigger}-{delivery_attempt}")
        return bool(outcome.events)

    def cost(self, call: Call) -> e.CostRecorded:
        """The cost fact of one provider call."""
        return e.CostRecorded(
            story_id=self.story_id,
            attempt_id=self.attempt_id,
            job_id=self.job_id,
            scene_id=self.scene_id,
            provider=call.provider,
            operation=call.capability.value,
            units=call.units,
            amount=call.amount,
            cache_hit=call.cache_hit,
            provider_job_id=call.provider_job_id,
            outcome=call.outcome[:500],
        )

    async def tick(self, percent: float, message: str, playable: Playable | None = None) -> None:
        await self.worker.progress.tick(
            self.story_id,
            self.attempt_id,
            self.kind.value,
            percent,
            message,
            self.job_id,
            playable,
        )
