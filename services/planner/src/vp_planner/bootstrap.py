"""The planner's object graph, built from settings and torn down in reverse."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from vp_runtime.process import Runtime
from vp_runtime.providers.catalog import live_catalog
from vp_runtime.providers.chat import chat_client
from vp_runtime.providers.config import load_provider_configs, prices

from vp_planner.entrypoints.subscribers import subscriptions
from vp_planner.service.planning import Planner
from vp_planner.settings import PlannerSettings


@contextlib.asynccontextmanager
async def running(settings: PlannerSettings) -> AsyncIterator[Runtime]:
    """The planner, subscribed and working until the block ends."""
    runtime = await Runtime.connect(settings)
    configs = load_provider_configs()
    chat = chat_client(configs, settings.llm_provider)
    try:
        async with live_catalog(configs, runtime.client.jetstream(), runtime.topology) as catalog:
            planner = Planner(
                runtime.worker("planner"),
                chat,
                lambda: prices(catalog.current()),
                default_planner=settings.default_planner,
                budgets=runtime.budgets,
                budget_zone=settings.budget_timezone,
            )
            async with runtime.consuming(subscriptions(planner, settings.capacity())):
                yield runtime
    finally:
        if chat is not None:
            await chat.close()
        await runtime.close()
