"""Compositor process: wiring only. ``vp-compositor``."""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import AsyncIterator

from vp_runtime.messaging.broker import consumer, make_broker
from vp_runtime.messaging.delivery import Delivery, stop_consuming, subscribe
from vp_runtime.messaging.progress import Progress
from vp_runtime.observability import telemetry
from vp_runtime.process import Runtime, worker_name
from vp_runtime.storage import storage_from
from vp_runtime.web.health import serve_until_stopped

from vp_compositor.service.compose import Composer
from vp_compositor.settings import CompositorSettings


@contextlib.asynccontextmanager
async def running(settings: CompositorSettings) -> AsyncIterator[Composer]:
    runtime = await Runtime.connect(settings)
    storage = storage_from(settings)
    await storage.prepare()
    composer = Composer(
        runtime.store,
        storage,
        Progress(runtime.client, runtime.topology.subjects, "compositor"),
        settings,
        worker_name("compositor"),
    )
    broker = make_broker(settings)
    topology = runtime.topology

    async def compose(delivery: Delivery) -> None:
        await composer.on_scene_generated(
            delivery.story_event(), delivery.attempt, delivery.stream_sequence
        )

    async def give_up(delivery: Delivery, error: BaseException) -> None:
        await composer.fail(delivery.story_event().event.story_id, error)

    subscribe(
        broker,
        consumer(topology, "compositor"),
        topology.subjects.event_of_any_story("scene_generated"),
        compose,
        dead_letters=runtime.dead_letters,
        on_give_up=give_up,
    )

    await broker.start()
    try:
        yield composer
    finally:
        await stop_consuming(broker)
        await runtime.close()


async def run(settings: CompositorSettings) -> None:
    async with running(settings) as composer:
        await serve_until_stopped(settings, composer.store)


def main() -> int:
    settings = CompositorSettings()
    telemetry.setup(settings)
    asyncio.run(run(settings))
    return 0


if __name__ == "__main__":
    sys.exit(main())
