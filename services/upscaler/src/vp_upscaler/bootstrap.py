"""The upscaler's object graph, built from settings and torn down in reverse."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from vp_runtime.media.encoders import chosen
from vp_runtime.process import Runtime
from vp_runtime.providers.catalog import live_catalog
from vp_runtime.providers.config import load_provider_configs
from vp_runtime.providers.registry import build_router
from vp_runtime.storage import storage_from

from vp_upscaler.entrypoints.subscribers import subscriptions
from vp_upscaler.service.finish import Finisher
from vp_upscaler.settings import UpscalerSettings


@contextlib.asynccontextmanager
async def running(settings: UpscalerSettings) -> AsyncIterator[Runtime]:
    """The upscaler, subscribed and working until the block ends."""
    runtime = await Runtime.connect(settings)
    storage = storage_from(settings)
    await storage.prepare()
    configs = load_provider_configs()
    router = build_router(configs, storage, runtime.client.jetstream(), runtime.topology)
    encoders = await chosen(settings.video_encoders)
    finisher = Finisher(
        runtime.worker("upscaler"), storage, router, settings, runtime.budgets, encoders
    )
    try:
        async with live_catalog(configs, runtime.client.jetstream(), runtime.topology) as catalog:
            router.reconfigure(catalog.current())
            catalog.subscribe(router.reconfigure)  # admins' changes, without a restart
            async with runtime.consuming(subscriptions(finisher, settings.capacity())):
                yield runtime
    finally:
        await router.close()
        await runtime.close()
