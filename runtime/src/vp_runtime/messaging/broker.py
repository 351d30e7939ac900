"""A FastStream broker for a service, and subscribers bound to the consumers the topology
declares."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from faststream import AckPolicy
from faststream.nats import JStream, NatsBroker, PullSub
from faststream.nats.opentelemetry import NatsTelemetryMiddleware
from faststream.security import SASLPlaintext

from vp_runtime.messaging.topology import (
    ConsumerSpec,
    Topology,
    default_topology,
    webhook_consumer,
)
from vp_runtime.observability import telemetry
from vp_runtime.settings import RuntimeSettings

SHUTDOWN_GRACE_SECONDS = 1.0
"""On shutdown, work that finishes within this is let finish; longer work (a render) is
interrupted and handed back to the server at once (nak), so another replica takes it now."""


def topology_of(settings: RuntimeSettings) -> Topology:
    """The topology these settings name: the pipeline's consumers and one per webhook."""
    topology = default_topology(
        settings.subject_root,
        settings.stream_prefix,
        settings.stream_replicas,
        timedelta(seconds=settings.job_ack_wait_seconds),
        settings.capacity(),
    )
    return topology.with_consumers(
        *(
            webhook_consumer(topology, hook.name, hook.events, settings.webhook_attempts)
            for hook in settings.webhooks
        )
    )


def make_broker(settings: RuntimeSettings, **options: Any) -> NatsBroker:
    """A FastStream broker for ``settings`` (same servers and credentials as the store)."""
    auth: dict[str, Any] = {}
    if settings.nats_creds:
        auth["user_credentials"] = settings.nats_creds
    elif settings.nats_user:
        password = settings.nats_password.get_secret_value() if settings.nats_password else ""
        auth["security"] = SASLPlaintext(username=settings.nats_user, password=password)
    servers = [url.strip() for url in settings.nats_url.split(",")]
    middlewares = (NatsTelemetryMiddleware(tracer_provider=telemetry.tracer_provider()),)
    return NatsBroker(
        servers,
        name=settings.service_name,
        max_reconnect_attempts=-1,
        graceful_timeout=SHUTDOWN_GRACE_SECONDS,
        middlewares=middlewares,
        **auth,
        **options,
    )


def durable_subscriber(
    broker_or_router: Any, spec: ConsumerSpec, subject: str
) -> Callable[..., Any]:
    """Decorator binding a handler to a declared durable pull consumer, one message at a time,
    acks left to the handler (never FastStream's default of terminating on any error)."""
    result: Callable[..., Any] = broker_or_router.subscriber(
        subject,
        stream=JStream(spec.stream, declare=False),
        durable=spec.name,
        pull_sub=PullSub(batch_size=1, timeout=5),
        ack_policy=AckPolicy.MANUAL,
        description=spec.description,
    )
    return result
