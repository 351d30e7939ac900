"""What every service process starts with: a checked NATS connection, the event store and dead
letters (:class:`Runtime`), and the small helpers of a long-running process."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
from collections.abc import AsyncIterator, Coroutine
from dataclasses import dataclass
from typing import Any

from nats.aio.client import Client

from vp_runtime.eventstore import EventStore, SnapshotStore
from vp_runtime.messaging.broker import topology_of
from vp_runtime.messaging.connection import connect
from vp_runtime.messaging.deadletters import DeadLetters
from vp_runtime.messaging.topology import Topology
from vp_runtime.observability import telemetry
from vp_runtime.settings import RuntimeSettings


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
