"""The generator's object graph, built from settings and torn down in reverse."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from vp_runtime.aio import in_background
from vp_runtime.process import Runtime
from vp_runtime.providers.catalog import live_catalog
from vp_runtime.providers.chat import chat_client
from vp_runtime.providers.config import load_provider_configs
from vp_runtime.providers.registry import build_router
from vp_runtime.storage import storage_from

from vp_generator.adapters.offline.provider import OfflineProvider
from vp_generator.adapters.queue import JetStreamSceneQueue
from vp_generator.entrypoints.cancel_watch import CancelWatch
from vp_generator.entrypoints.subscribers import subscriptions
from vp_generator.service.fanout import FanOut
from vp_generator.service.scenes import SceneGenerator
from vp_generator.service.translator import PromptTranslator
from vp_generator.settings import GeneratorSettings


@contextlib.asynccontextmanager
async def running(settings: GeneratorSettings) -> AsyncIterator[Runtime]:
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
    chat = chat_client(configs)
    generator = SceneGenerator(
        runtime.worker("generator"),
        router,
        storage,
        PromptTranslator(storage, chat),
        runtime.budgets,
        settings.budget_timezone,
    )
    queue = JetStreamSceneQueue(js, runtime.topology, settings.capacity())
    fanout = FanOut(runtime.store, queue)
    watch = CancelWatch()
    await watch.start(runtime.client, runtime.topology.subjects)
    table = subscriptions(fanout, generator, watch, queue.jobs, settings.capacity())
    try:
        async with live_catalog(configs, runtime.client.jetstream(), runtime.topology) as catalog:
            router.reconfigure(catalog.current())
            catalog.subscribe(router.reconfigure)  # admins' changes, without a restart
            async with runtime.consuming(table), in_background(queue.jobs.keep_released()):
                yield runtime
    finally:
        await router.close()
        if chat is not None:
            await chat.close()
        await runtime.close()
