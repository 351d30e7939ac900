"""The upscaler's subscriber table: final masters, to be finished (final renders only, so all
of its work is the batch lane's; each ``final_composed`` fact goes to one worker)."""

from __future__ import annotations

from vp_runtime.capacity import Capacity
from vp_runtime.messaging.delivery import Delivery
from vp_runtime.messaging.subscriptions import Subscription

from vp_upscaler.service.finish import Finisher


def subscriptions(finisher: Finisher, capacity: Capacity) -> list[Subscription]:
    async def finish(delivery: Delivery) -> None:
        await finisher.on_final_composed(
            delivery.story_event(), delivery.attempt, delivery.stream_sequence
        )

    async def give_up(delivery: Delivery, error: BaseException) -> None:
        await finisher.fail(delivery.story_event(), error)

    return [
        Subscription("upscaler", finish, on_give_up=give_up, workers=capacity.workers("upscaler"))
    ]
