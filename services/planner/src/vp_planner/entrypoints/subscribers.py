"""The planner's subscriber table: planning requests, one at a time."""

from __future__ import annotations

from vp_runtime.capacity import Capacity
from vp_runtime.messaging.delivery import Delivery
from vp_runtime.messaging.subscriptions import Subscription

from vp_planner.service.planning import Planner


def subscriptions(planner: Planner, capacity: Capacity) -> list[Subscription]:
    async def plan(delivery: Delivery) -> None:
        await planner.on_planning_requested(delivery.story_event(), delivery.attempt)

    async def give_up(delivery: Delivery, error: BaseException) -> None:
        await planner.give_up(delivery.story_event(), error)

    return [Subscription("planner", plan, on_give_up=give_up, workers=capacity.workers("planner"))]
