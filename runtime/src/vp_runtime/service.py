"""What every service starts with: a checked NATS connection, the event store, dead letters,
and a FastStream broker whose subscribers bind to the consumers declared in the topology."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
from collections.abc import AsyncIterator, Callable, Coroutine
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from faststream import AckPolicy
from faststream.nats import JStream, NatsBroker, PullSub
from faststream.nats.opentelemetry import NatsTelemetryMiddleware
from faststream.security import SASLPlaintext
from nats.aio.client import Client

from vp_runtime import telemetry
from vp_runtime.connection import connect
from vp_runtime.deadletters import DeadLetters
from vp_runtime.eventstore import EventStore
from vp_runtime.settings import RuntimeSettings
from vp_runtime.snapshots import SnapshotStore
from vp_runtime.topology import ConsumerSpec, Topology, default_topology

SHUTDOWN_GRACE_SECONDS = 1.0
"""On shutdown, work that finishes within this is let finish; longer work (a render) is
interrupted and handed back to the server at once (nak), so another replica takes it now."""


def topology_of(settings: RuntimeSettings) -> Topology:
    return default_topology(
        settings.subject_root,
        settings.stream_prefix,
        settings.stream_replicas,
        timedelta(seconds=settings.job_ack_wait_seconds),
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


def consumer(topology: Topology, name: str) -> ConsumerSpec:
    """The declared consumer called ``name`` (without the prefix)."""
    wanted = topology.consumer_name(name)
    for spec in topology.consumers:
        if spec.name == wanted:
            return spec
    raise KeyError(f"no consumer {name!r} is declared")


@dataclass
class Runtime:
    """Connections and stores one service process uses."""

    settings: RuntimeSettings
    topology: Topology
    client: Client
    store: EventStore
    dead_letters: DeadLetters

    @classmethod
    async def connect(cls, settings: RuntimeSettings) -> Runtime:
        topology = topology_of(settings)
        client = await connect(settings)
        snapshots = SnapshotStore(client.jetstream(), topology.snapshot_bucket)
        source = f"/vp/{settings.service_name}"
        store = EventStore(
            client, topology, source=source, snapshots=snapshots, header_hooks=[telemetry.inject]
        )
        return cls(
            settings, topology, client, store, DeadLetters(client, topology, settings.service_name)
        )

    async def close(self) -> None:
        await self.store.flush_snapshots()
        await self.client.drain()


async def until_stopped() -> None:
    """Wait for SIGINT or SIGTERM."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    await stop.wait()


@contextlib.asynccontextmanager
async def in_background(work: Coroutine[Any, Any, None]) -> AsyncIterator[None]:
    """Run ``work`` while the block runs; cancel it when the block ends."""
    task = asyncio.create_task(work)
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def worker_name(service: str) -> str:
    """``service@host:pid``, as recorded in job facts."""
    return f"{service}@{socket.gethostname()}:{os.getpid()}"
