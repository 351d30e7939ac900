"""The gateway's subscriber table: the projector, every fact in log order, in batches of up to
:data:`PROJECTOR_BATCH` applied in one transaction each."""

from __future__ import annotations

from vp_runtime.messaging.batches import BatchSubscription
from vp_runtime.messaging.delivery import RetryPolicy
from vp_runtime.messaging.topology import PROJECTOR_BATCH

from vp_gateway.service.projection import Projector

PROJECTOR_RETRIES = RetryPolicy(attempts=1_000_000, first_delay=0.5, max_delay=30)
"""The projector never drops a fact: one that keeps failing is parked (see Projector), and a
database that is down is waited for."""


def subscriptions(projector: Projector) -> list[BatchSubscription]:
    return [
        BatchSubscription(
            "gateway-projector", projector.on_facts, PROJECTOR_BATCH, PROJECTOR_RETRIES
        )
    ]
