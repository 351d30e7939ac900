"""Upscaler process: wiring only. ``vp-upscaler``."""

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
from vp_runtime.providers.config import load_provider_configs
from vp_runtime.providers.registry import build_router
from vp_runtime.storage import storage_from
from vp_runtime.web.health import serve_until_stopped

from vp_upscaler.service.finish import Finisher
from vp_upscaler.settings import UpscalerSettings


@contextlib.asynccontextmanager
async def running(settings: UpscalerSettings) -> AsyncIterator[Finisher]:
    runtime = await Runtime.connect(settings)
    storage = storage_from(settings)
    await storage.prepare()
    router = build_router(
        load_provider_configs(), storage, runtime.client.jetstream(), runtime.topology
    )
    finisher = Finisher(
        runtime.store,
        storage,
        router,
        Progress(runtime.client, runtime.topology.subjects, "upscaler"),
        settings,
        worker_name("upscaler"),
    )
    broker = make_broker(settings)
    topology = runtime.topology

    async def finish(delivery: Delivery) -> None:
        await finisher.on_final_composed(
            delivery.story_event(), delivery.attempt, delivery.stream_sequence
        )

    async def give_up(delivery: Delivery, error: BaseException) -> None:
        await finisher.fail(delivery.story_event(), error)

    subscribe(
        broker,
        consumer(topology, "upscaler"),
        topology.subjects.event_of_any_story("final_composed"),
        finish,
        dead_letters=runtime.dead_letters,
        on_give_up=give_up,
    )

    await broker.start()
    try:
        yield finisher
    finally:
        await stop_consuming(broker)
        await router.close()
        await runtime.close()


async def run(settings: UpscalerSettings) -> None:
    async with running(settings) as finisher:
        await serve_until_stopped(settings, finisher.store)


def main() -> int:
    settings = UpscalerSettings()
    telemetry.setup(settings)
    asyncio.run(run(settings))
    return 0


if __name__ == "__main__":
    sys.exit(main())
