"""Planner process: wiring only. ``vp-planner``."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
from collections.abc import AsyncIterator

from vp_runtime.messaging.broker import consumer, make_broker
from vp_runtime.messaging.delivery import Delivery, stop_consuming, subscribe
from vp_runtime.messaging.progress import Progress
from vp_runtime.observability import telemetry
from vp_runtime.process import Runtime, worker_name
from vp_runtime.providers.chat import chat_client
from vp_runtime.providers.config import load_provider_configs, prices
from vp_runtime.web.health import serve_until_stopped

from vp_planner.service.planning import Planner
from vp_planner.settings import PlannerSettings

log = logging.getLogger("vp_planner")


@contextlib.asynccontextmanager
async def running(settings: PlannerSettings) -> AsyncIterator[Planner]:
    """The planner, subscribed and working until the block ends."""
    runtime = await Runtime.connect(settings)
    configs = load_provider_configs()
    planner = Planner(
        store=runtime.store,
        chat=chat_client(configs, settings.llm_provider),
        progress=Progress(runtime.client, runtime.topology.subjects, "planner"),
        worker=worker_name("planner"),
        costs=prices(configs),
        default_planner=settings.default_planner,
    )
    broker = make_broker(settings)
    topology = runtime.topology

    async def plan(delivery: Delivery) -> None:
        await planner.on_planning_requested(delivery.story_event(), delivery.attempt)

    async def give_up(delivery: Delivery, error: BaseException) -> None:
        await planner.give_up(delivery.story_event(), error)

    subscribe(
        broker,
        consumer(topology, "planner"),
        topology.subjects.event_of_any_story("planning_requested"),
        plan,
        dead_letters=runtime.dead_letters,
        on_give_up=give_up,
    )

    await broker.start()
    try:
        yield planner
    finally:
        await stop_consuming(broker)
        if planner.chat is not None:
            await planner.chat.close()
        await runtime.close()


async def run(settings: PlannerSettings) -> None:
    async with running(settings) as planner:
        await serve_until_stopped(settings, planner.store)


def main() -> int:
    settings = PlannerSettings()
    telemetry.setup(settings)
    asyncio.run(run(settings))
    return 0


if __name__ == "__main__":
    sys.exit(main())
