"""What every service process starts with: a checked NATS connection, the event store and dead
letters (:class:`Runtime`); for the pipeline's workers, the whole life of the process
(:func:`serve_worker`)."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import os
import socket
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import TypeVar

from nats.aio.client import Client

from vp_runtime.budget import JetStreamBudgets
from vp_runtime.eventstore import EventStore, SnapshotStore
from vp_runtime.messaging.batches import BatchSubscription, consuming_batches
from vp_runtime.messaging.broker import make_broker, topology_of
from vp_runtime.messaging.connection import connect
from vp_runtime.messaging.deadletters import DeadLetters
from vp_runtime.messaging.progress import Progress
from vp_runtime.messaging.settle import stop_consuming
from vp_runtime.messaging.subscriptions import Subscription, bind, consumer
from vp_runtime.messaging.topology import Topology
from vp_runtime.observability import telemetry
from vp_runtime.settings import RuntimeSettings
from vp_runtime.stage import Worker
from vp_runtime.web.health import serve_until_stopped

S = TypeVar("S", bound=RuntimeSettings)


def settle_heap() -> None:
    """Once a process has started: collect what start-up left behind and move the rest (the
    app, its routes and models, the catalogues, the imported modules) out of the collector's
    sight. Without it every full collection walks those objects again: pauses of tens of
    milliseconds every few seconds under load, which were most of the API's p99 (3-8x the
    median at 500 requests/s; about 4x with it)."""
    gc.collect()
    gc.freeze()


@dataclass
class Runtime:
    """Connections and stores one service process uses."""

    settings: RuntimeSettings
    topology: Topology
    client: Client
    store: EventStore
    dead_letters: DeadLetters
    budgets: JetStreamBudgets

    @classmethod
    async def connect(cls, settings: RuntimeSettings) -> Runtime:
        topology = topology_of(settings)
        client = await connect(settings)
        snapshots = SnapshotStore(client.jetstream(), topology.snapshot_bucket)
        source = f"/vp/{settings.service_name}"
        store = EventStore(
            client, topology, source=source, snapshots=snapshots, header_hooks=[telemetry.inject]
        )
        dead_letters = DeadLetters(client, topology, settings.service_name)
        budgets = JetStreamBudgets(client, topology, source)
        return cls(settings, topology, client, store, dead_letters, budgets)

    def worker(self, service: str) -> Worker:
        """The stage worker of ``service`` in this process: records facts, sends progress."""
        progress = Progress(self.client, self.topology.subjects, service)
        return Worker(self.store, progress, service, worker_name(service))

    @contextlib.asynccontextmanager
    async def consuming(
        self, table: Sequence[Subscription | BatchSubscription]
    ) -> AsyncIterator[None]:
        """The subscriber ``table`` working while the block runs; on the way out, messages in
        hand go back to the server first (see :func:`stop_consuming`)."""
        singles = [entry for entry in table if isinstance(entry, Subscription)]
        async with contextlib.AsyncExitStack() as stack:
            for entry in table:
                if isinstance(entry, BatchSubscription):
                    spec = consumer(self.topology, entry.consumer)
                    await stack.enter_async_context(
                        consuming_batches(self.client, spec, entry, self.dead_letters)
                    )
            if not singles:
                yield
                return
            broker = make_broker(self.settings)
            bind(broker, self.topology, self.dead_letters, singles)
            await broker.start()
            try:
                yield
            finally:
                await stop_consuming(broker)

    async def close(self) -> None:
        await self.store.flush_snapshots()
        await self.client.drain()


def worker_name(service: str) -> str:
    """``service@host:pid``, as recorded in job facts."""
    return f"{service}@{socket.gethostname()}:{os.getpid()}"


def serve_worker(settings: S, running: Callable[[S], AbstractAsyncContextManager[Runtime]]) -> int:
    """A pipeline worker's process: telemetry, the service ``running`` builds, health and
    metrics endpoints, until SIGINT or SIGTERM."""
    telemetry.setup(settings)

    async def run() -> None:
        async with running(settings) as runtime:
            await serve_until_stopped(settings, runtime.store)

    asyncio.run(run())
    return 0
