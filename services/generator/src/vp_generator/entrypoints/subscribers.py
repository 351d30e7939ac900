"""The generator's subscribers: requests fan out; scene jobs run, several at a time."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime

from faststream.nats import NatsBroker
from pydantic import ValidationError
from vp_contracts.events import jobs as j
from vp_contracts.ids import derived_id
from vp_contracts.story import commands as c
from vp_contracts.values import JobKind
from vp_runtime.eventstore import EventMeta
from vp_runtime.messaging.broker import consumer
from vp_runtime.messaging.delivery import (
    Delivery,
    PoisonMessage,
    RetryPolicy,
    TransientError,
    subscribe,
)
from vp_runtime.observability.metrics import timed_generation
from vp_runtime.process import Runtime
from vp_runtime.providers.router import AllProvidersRefused, NoProviderAvailable, NoVoice

from vp_generator.domain.jobs import SceneJob
from vp_generator.entrypoints.cancel_watch import CancelWatch
from vp_generator.service.fanout import FanOut
from vp_generator.service.scenes import SceneGenerator, Stale

log = logging.getLogger(__name__)
SCENE_RETRIES = RetryPolicy()


def scene_job_of(delivery: Delivery) -> SceneJob:
    try:
        return SceneJob.model_validate_json(delivery.message.raw_message.data)
    except ValidationError as error:
        raise PoisonMessage(f"not a scene job: {error}") from error


class SceneJobs:
    """Runs one scene job per delivery; retries and failures become job facts."""

    def __init__(
        self, runtime: Runtime, generator: SceneGenerator, watch: CancelWatch, worker: str
    ) -> None:
        self._runtime = runtime
        self._generator = generator
        self._watch = watch
        self._worker = worker

    def subscribe(self, broker: NatsBroker) -> None:
        """One more worker taking scene jobs."""
        topology = self._runtime.topology
        subscribe(
            broker,
            consumer(topology, "generator-scenes"),
            topology.subjects.scene_jobs("scene"),
            self._run,
            dead_letters=self._runtime.dead_letters,
            policy=SCENE_RETRIES,
            on_retry=self._retrying,
            on_give_up=self._giving_up,
        )

    async def _timed(self, job: SceneJob, attempt: int) -> None:
        with timed_generation("scene"):
            await self._generator.generate(job, attempt)

    async def _run(self, delivery: Delivery) -> None:
        job = scene_job_of(delivery)
        task = asyncio.create_task(self._timed(job, delivery.attempt))
        self._watch.track((job.attempt_id, job.job_id), task)
        try:
            await task
        except asyncio.CancelledError:
            current = asyncio.current_task()
            if current is not None and current.cancelling():
                raise  # this process is stopping
            log.info("scene job %s stopped: its attempt was cancelled", job.job_id)
        except Stale:
            log.info("scene job %s stopped: its attempt is no longer current", job.job_id)
        except AllProvidersRefused as refused:
            await self._fail(
                job,
                delivery.attempt,
                "content_refused",
                f"the content filter refused scene {job.scene_id}: change its prompt ({refused})",
            )
        except NoVoice as error:
            language = (await self._runtime.store.view(job.story_id)).language or "en"
            await self._fail(
                job,
                delivery.attempt,
                "no_voice",
                f"no voice can narrate scene {job.scene_id} in language '{language}' ({error}):"
                f" choose another voice (GET /api/ai-video/voices/?language={language}), another"
                " language, or set up a text-to-speech provider that speaks it",
            )
        except NoProviderAvailable as error:
            raise TransientError(f"no provider could generate the scene: {error}") from error

    async def _retrying(self, delivery: Delivery, error: BaseException, delay: float) -> None:
        job = scene_job_of(delivery)
        fact = j.JobRetried(
            story_id=job.story_id,
            job_id=job.job_id,
            kind=JobKind.SCENE,
            attempt_id=job.attempt_id,
            scene_id=job.scene_id,
            attempt=delivery.attempt,
            error=str(error)[:1000],
            retry_in_seconds=delay,
        )
        await self._runtime.store.execute(
            c.RecordFact(story_id=job.story_id, event=fact),
            self._meta(job, f"retried-{delivery.attempt}"),
        )

    async def _giving_up(self, delivery: Delivery, error: BaseException) -> None:
        job = scene_job_of(delivery)
        code = "provider_unavailable" if isinstance(error, TransientError) else "internal_error"
        reason = f"scene could not be generated after {delivery.attempt} attempts: {error}. Try again later."
        await self._fail(job, delivery.attempt, code, reason)

    async def _fail(self, job: SceneJob, attempts: int, code: str, reason: str) -> None:
        command = c.RecordSceneFailure(
            story_id=job.story_id,
            attempt_id=job.attempt_id,
            scene_id=job.scene_id,
            code=code,
            reason=reason[:2000],
            attempts=attempts,
        )
        await self._runtime.store.execute(command, self._meta(job, "failed"))

    def _meta(self, job: SceneJob, what: str) -> EventMeta:
        return EventMeta(
            command_id=derived_id("generator", job.job_id, what),
            at=datetime.now(UTC),
            actor=self._worker,
            correlation_id=job.attempt_id,
            causation_id=job.job_id,
        )


def register(
    broker: NatsBroker, runtime: Runtime, fanout: FanOut, jobs: SceneJobs, workers: int
) -> None:
    topology = runtime.topology

    async def fan_out(delivery: Delivery) -> None:
        await fanout.on_request(delivery.story_event())

    subscribe(
        broker,
        consumer(topology, "generator-requests"),
        topology.subjects.all_stories(),
        fan_out,
        dead_letters=runtime.dead_letters,
    )

    for _ in range(workers):
        jobs.subscribe(broker)
