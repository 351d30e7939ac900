"""The generator's subscriber table: requests fan out into scene jobs; scene jobs run, several
at a time, each interrupted the moment its attempt is cancelled."""

from __future__ import annotations

import asyncio
import logging

from pydantic import ValidationError
from vp_runtime.messaging.delivery import Delivery, PoisonMessage
from vp_runtime.messaging.subscriptions import Subscription
from vp_runtime.observability.metrics import timed_generation

from vp_generator.domain.jobs import SceneJob
from vp_generator.entrypoints.cancel_watch import CancelWatch
from vp_generator.service.fanout import FanOut
from vp_generator.service.scenes import SceneGenerator

log = logging.getLogger(__name__)


def scene_job_of(delivery: Delivery) -> SceneJob:
    try:
        return SceneJob.model_validate_json(delivery.message.raw_message.data)
    except ValidationError as error:
        raise PoisonMessage(f"not a scene job: {error}") from error


def subscriptions(
    fanout: FanOut, generator: SceneGenerator, watch: CancelWatch, workers: int
) -> list[Subscription]:
    async def fan_out(delivery: Delivery) -> None:
        await fanout.on_request(delivery.story_event())

    async def timed(job: SceneJob, attempt: int) -> None:
        with timed_generation("scene"):
            await generator.run(job, attempt)

    async def run(delivery: Delivery) -> None:
        job = scene_job_of(delivery)
        task = asyncio.create_task(timed(job, delivery.attempt))
        watch.track((job.attempt_id, job.job_id), task)
        try:
            await task
        except asyncio.CancelledError:
            current = asyncio.current_task()
            if current is not None and current.cancelling():
                raise  # this process is stopping
            log.info("scene job %s stopped: its attempt was cancelled", job.job_id)

    async def retrying(delivery: Delivery, error: BaseException, delay: float) -> None:
        await generator.retrying(scene_job_of(delivery), delivery.attempt, error, delay)

    async def give_up(delivery: Delivery, error: BaseException) -> None:
        await generator.give_up(scene_job_of(delivery), delivery.attempt, error)

    return [
        Subscription("generator-requests", fan_out),
        Subscription(
            "generator-scenes", run, on_retry=retrying, on_give_up=give_up, workers=workers
        ),
    ]
