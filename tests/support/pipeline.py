"""The four stage services running in this process, on the test's topology and storage."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nats.aio.client import Client
from vp_compositor.bootstrap import running as compositor
from vp_compositor.settings import CompositorSettings
from vp_generator.bootstrap import running as generator
from vp_generator.settings import GeneratorSettings
from vp_planner.bootstrap import running as planner
from vp_planner.settings import PlannerSettings
from vp_runtime.eventstore import EventStore
from vp_runtime.messaging.connection import connect
from vp_runtime.messaging.declare import declare
from vp_runtime.messaging.topology import Topology, default_topology
from vp_runtime.settings import RuntimeSettings
from vp_upscaler.bootstrap import running as upscaler
from vp_upscaler.settings import UpscalerSettings


@dataclass(frozen=True)
class Bus:
    """A topology of its own declared on a NATS server, a client and the story log on it."""

    client: Client
    topology: Topology
    settings: RuntimeSettings
    store: EventStore


async def bus(url: str, root: str) -> Bus:
    """Streams and consumers under subject root ``root`` on the server at ``url``."""
    topology = default_topology(root=root, prefix=f"{root.upper()}_")
    client = await connect(RuntimeSettings(nats_url=url), name=root)
    await declare(client.jetstream(), topology)
    settings = RuntimeSettings(
        nats_url=url, subject_root=topology.root, stream_prefix=topology.prefix
    )
    return Bus(client, topology, settings, EventStore(client, topology, source="/bench"))


@contextlib.asynccontextmanager
async def stages(
    settings: RuntimeSettings,
    storage: Path,
    *,
    compositors: int = 1,
    generators: int = 1,
    **compositor_options: Any,
) -> AsyncIterator[None]:
    common = {**settings.model_dump(exclude={"service_name"}), "storage_dir": str(storage)}
    async with contextlib.AsyncExitStack() as stack:
        await stack.enter_async_context(planner(PlannerSettings(**common)))
        for _ in range(generators):
            await stack.enter_async_context(generator(GeneratorSettings(**common)))
        for _ in range(compositors):
            await stack.enter_async_context(
                compositor(CompositorSettings(**common, **compositor_options))
            )
        await stack.enter_async_context(upscaler(UpscalerSettings(**common)))
        yield
