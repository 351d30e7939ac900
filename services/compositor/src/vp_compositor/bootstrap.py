"""The compositor's object graph, built from settings and torn down in reverse."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from vp_runtime.aio import in_background
from vp_runtime.media.encoders import chosen
from vp_runtime.media.fonts import font_for_text
from vp_runtime.process import Runtime
from vp_runtime.storage import storage_from

from vp_compositor.adapters.queue import JetStreamComposeQueue
from vp_compositor.entrypoints.subscribers import subscriptions
from vp_compositor.service.compose import Composer
from vp_compositor.settings import CompositorSettings


@contextlib.asynccontextmanager
async def running(settings: CompositorSettings) -> AsyncIterator[Runtime]:
    """The compositor, subscribed and working until the block ends."""
    runtime = await Runtime.connect(settings)
    storage = storage_from(settings)
    await storage.prepare()
    queue = JetStreamComposeQueue(runtime.client.jetstream(), runtime.topology, settings.capacity())
    encoders = await chosen(settings.video_encoders)
    composer = Composer(
        runtime.worker("compositor"), storage, settings, font_for_text, queue, encoders
    )
    table = subscriptions(composer, queue, settings.capacity())
    try:
        async with (
            runtime.consuming(table),
            in_background(queue.composes.keep_released()),
            in_background(queue.segments.keep_released()),
        ):
            yield runtime
    finally:
        await runtime.close()
