"""The compositor's subscriber table: each generated scene, which may complete a set and queue
its compose job; compose jobs in two priority lanes, each with its own workers; segments of
long finals, which any replica renders for the one that joins them."""

from __future__ import annotations

from vp_runtime.capacity import LANES, Capacity
from vp_runtime.messaging.delivery import Delivery
from vp_runtime.messaging.subscriptions import Subscription

from vp_compositor.adapters.queue import JetStreamComposeQueue
from vp_compositor.domain.jobs import ComposeJob, SegmentJob
from vp_compositor.service.compose import Composer


def subscriptions(
    composer: Composer, queue: JetStreamComposeQueue, capacity: Capacity
) -> list[Subscription]:
    async def dispatch(delivery: Delivery) -> None:
        await composer.on_scene_generated(delivery.story_event())

    async def compose(delivery: Delivery) -> None:
        await composer.on_compose_job(
            delivery.job(ComposeJob), delivery.attempt, delivery.stream_sequence
        )

    async def give_up(delivery: Delivery, error: BaseException) -> None:
        await composer.fail(delivery.job(ComposeJob).story_id, error)

    async def segment(delivery: Delivery) -> None:
        await composer.on_segment_job(delivery.job(SegmentJob))

    async def segment_failed(delivery: Delivery, error: BaseException) -> None:
        await composer.segment_failed(delivery.job(SegmentJob), error)

    return [
        Subscription("compositor-dispatch", dispatch),
        *(
            Subscription(
                f"compositor-{lane}",
                compose,
                on_give_up=give_up,
                workers=capacity.workers("compositor", lane),
                on_done=queue.composes.finished,
            )
            for lane in LANES
        ),
        Subscription(
            "compositor-segments",
            segment,
            on_give_up=segment_failed,
            workers=capacity.workers("compositor"),
            on_done=queue.segments.finished,
        ),
    ]
