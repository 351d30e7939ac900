"""The gateway's subscriber table: the projector, every fact in log order."""

from __future__ import annotations

from vp_runtime.messaging.delivery import Delivery, RetryPolicy
from vp_runtime.messaging.subscriptions import Subscription

from vp_gateway.service.projection import Projector

PROJECTOR_RETRIES = RetryPolicy(attempts=1_000_000, first_delay=0.5, max_delay=30)
"""The projector never drops a fact: one that keeps failing is parked (see Projector), and a
database that is down is waited for."""


def subscriptions(projector: Projector) -> list[Subscription]:
    async def apply(delivery: Delivery) -> None:
        await projector.on_fact(delivery.story_event(), delivery.attempt)

    return [Subscription("gateway-projector", apply, PROJECTOR_RETRIES)]
