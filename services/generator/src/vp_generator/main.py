"""Generator process: wiring only. ``vp-generator``."""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import AsyncIterator

from vp_runtime.messaging.broker import make_broker
from vp_runtime.messaging.delivery import stop_consuming
from vp_runtime.messaging.progress import Progress
from vp_runtime.observability import telemetry
from vp_runtime.process import Runtime, worker_name
from vp_runtime.providers.chat import chat_client
from vp_runtime.providers.config import load_provider_configs
from vp_runtime.providers.registry import build_router
from vp_runtime.storage import storage_from
from vp_runtime.web.health import serve_until_stopped

from vp_generator.adapters.offline.provider import OfflineProvider
from vp_generator.adapters.translator import PromptTranslator
from vp_generator.entrypoints.cancel_watch import CancelWatch
from vp_generator.entrypoints.subscribers import SceneJobs, register
from vp_generator.service.fanout import FanOut
from vp_generator.service.scenes import SceneGenerator
from vp_generator.settings import GeneratorSettings


@contextlib.asynccontextmanager
async def running(settings: GeneratorSettings) -> AsyncIterator[SceneGenerator]:
    """The generator, subscribed and working until the block ends."""
    runtime = await Runtime.connect(settings)
    js = runtime.client.jetstream()
    storage = storage_from(settings)
    await storage.prepare()
    configs = load_provider_configs()
    router = build_router(
        configs,
        storage,
        js,
        runtime.topology,
        offline=lambda config: OfflineProvider(config, settings.narration_engine),
    )
    worker = worker_name("generator")
    generator = SceneGenerator(
        runtime.store,
        router,
        storage,
        PromptTranslator(storage, chat := chat_client(configs)),
        Progress(runtime.client, runtime.topology.subjects, "generator"),
        worker,
    )
    watch = CancelWatch()
    await watch.start(runtime.client, runtime.topology.subjects)
    broker = make_broker(settings)
    register(
        broker,
        runtime,
        FanOut(runtime.store, js, runtime.topology),
        SceneJobs(runtime, generator, watch, worker),
        settings.generator_workers,
    )
    await broker.start()
    try:
        yield generator
    finally:
        await stop_consuming(broker)
        await router.close()
        if chat is not None:
            await chat.close()
        await runtime.close()


async def run(settings: GeneratorSettings) -> None:
    async with running(settings) as generator:
        await serve_until_stopped(settings, generator.store)


def main() -> int:
    settings = GeneratorSettings()
    telemetry.setup(settings)
    asyncio.run(run(settings))
    return 0


if __name__ == "__main__":
    sys.exit(main())
