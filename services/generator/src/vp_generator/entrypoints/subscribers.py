"""The generator's subscriber table: requests fan out into scene jobs; scene jobs run in two
priority lanes, several at a time, each interrupted the moment its attempt is cancelled; each
job that finishes lets its owner's next held job into the lane."""

from __future__ import annotations

import asyncio
import logging

from vp_runtime.capacity import LANES, Capacity
from vp_runtime.messaging.delivery import Delivery
from vp_runtime.messaging.subscriptions import Subscription
from vp_runtime.messaging.workqueue import WorkQueue
from vp_runtime.observability.metrics import timed_generation

from vp_generator.domain.jobs import SceneJob
from vp_generator.entrypoints.cancel_watch import CancelWatch
from vp_generator.service.fanout import FanOut
from vp_generator.service.scenes import SceneGenerator

log = logging.getLogger(__name__)


def subscriptions(
    fanout: FanOut,
    generator: SceneGenerator,
    watch: CancelWatch,
    queue: WorkQueue,
    capacity: Capacity,
) -> list[Subscription]:
    async def fan_out(delivery: Delivery) -> None:
        await fanout.on_request(delivery.story_event())

    async def timed(job: SceneJob, attempt: int) -> None:
        with timed_generation("scene"):
            await generator.run(job, attempt)

    async def run(delivery: Delivery) -> None:
        job = delivery.job(SceneJob)
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
        await generator.retrying(delivery.job(SceneJob), delivery.attempt, error, delay)

    async def give_up(delivery: Delivery, error: BaseException) -> None:
        await generator.give_up(delivery.job(SceneJob), delivery.attempt, error)

    return [
        Subscription("generator-requests", fan_out),
        *(
            Subscription(
                f"generator-scenes-{lane}",
                run,
                on_retry=retrying,
                on_give_up=give_up,
                workers=capacity.workers("generator", lane),
                on_done=queue.finished,
            )
            for lane in LANES
        ),
    ]
