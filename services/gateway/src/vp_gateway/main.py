"""Gateway process: wiring only. ``vp-gateway [serve|migrate|rebuild]``."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import secrets
import signal
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import uvicorn
from fastapi import FastAPI
from faststream.nats import NatsBroker
from sqlalchemy import text
from vp_contracts.envelope import RecordedEvent
from vp_contracts.events.base import Event
from vp_runtime.messaging.broker import consumer, make_broker
from vp_runtime.messaging.delivery import Delivery, RetryPolicy, stop_consuming, subscribe
from vp_runtime.observability import telemetry
from vp_runtime.process import Runtime, in_background
from vp_runtime.providers.chat import chat_client
from vp_runtime.providers.config import load_provider_configs, prices
from vp_runtime.storage import storage_from
from vp_runtime.web.auth import TicketPolicy, TokenPolicy

from vp_gateway.adapters.db.engine import make_engine, upgrade_async
from vp_gateway.adapters.db.idempotency import SqlIdempotencyRecords
from vp_gateway.adapters.db.readmodel import ReadModel, describe
from vp_gateway.entrypoints.deps import Gateway
from vp_gateway.entrypoints.http import create_app
from vp_gateway.service import metrics
from vp_gateway.service.idempotency import Idempotency
from vp_gateway.service.jobs import Jobs
from vp_gateway.service.projection import Projector
from vp_gateway.service.stories import Stories
from vp_gateway.service.suggestions import Suggester
from vp_gateway.service.users import Users
from vp_gateway.settings import GatewaySettings

log = logging.getLogger("vp_gateway")

PROJECTOR_RETRIES = RetryPolicy(attempts=1_000_000, first_delay=0.5, max_delay=30)
"""The projector never drops a fact: one that keeps failing is parked (see Projector), and a
database that is down is waited for."""


def now() -> datetime:
    return datetime.now(UTC)


def _secret(settings: GatewaySettings) -> str:
    if settings.jwt_secret is None:
        log.warning(
            "VP_JWT_SECRET is unset: tokens are signed with a random key that dies with the process"
        )
        return secrets.token_urlsafe(48)
    return settings.jwt_secret.get_secret_value()


def _policies(settings: GatewaySettings) -> tuple[TokenPolicy, TicketPolicy]:
    secret = _secret(settings)
    issuer, audience = settings.jwt_issuer, settings.jwt_audience
    return (
        TokenPolicy(secret, issuer, audience, timedelta(seconds=settings.jwt_ttl_seconds)),
        TicketPolicy(secret, issuer, audience, timedelta(seconds=settings.ticket_ttl_seconds)),
    )


def make_projector(runtime: Runtime, readmodel: ReadModel) -> Projector:
    async def observe(recorded: RecordedEvent[Event]) -> None:
        await metrics.observe(runtime.store, recorded)

    return Projector(readmodel, runtime.store.load, observe, describe)


def projector_broker(
    settings: GatewaySettings, runtime: Runtime, projector: Projector
) -> NatsBroker:
    broker = make_broker(settings)
    spec = consumer(runtime.topology, "gateway-projector")

    async def apply(delivery: Delivery) -> None:
        await projector.on_fact(delivery.story_event(), delivery.attempt)

    subscribe(
        broker,
        spec,
        runtime.topology.subjects.all_stories(),
        apply,
        dead_letters=runtime.dead_letters,
        policy=PROJECTOR_RETRIES,
    )
    return broker


@contextlib.asynccontextmanager
async def running(settings: GatewaySettings) -> AsyncIterator[Gateway]:
    """Everything the gateway needs, started in order and stopped in reverse."""
    runtime = await Runtime.connect(settings)
    await upgrade_async(settings.database_url)
    engine, sessions = make_engine(settings.database_url)
    readmodel = ReadModel(sessions)
    if not await readmodel.check_revision():
        log.warning("the read model was folded by other code: rebuilding it from the log")
        await readmodel.rebuild(runtime.store.replay())
    storage = storage_from(settings)
    await storage.prepare()
    providers = load_provider_configs()
    costs = prices(providers)
    stories = Stories(runtime.store, lambda: costs)
    projector = make_projector(runtime, readmodel)
    await projector.refresh_gauge()
    broker = projector_broker(settings, runtime, projector) if settings.run_projector else None

    async def readiness() -> dict[str, str]:
        checks = {"nats": "ok" if runtime.client.is_connected else "disconnected"}
        try:
            async with sessions() as session:
                await session.execute(text("select 1"))
            checks["database"] = "ok"
        except Exception as error:  # any failure means not ready; the reason is shown
            checks["database"] = f"error: {type(error).__name__}"
        return checks

    tokens, tickets = _policies(settings)
    keys = SqlIdempotencyRecords(sessions)
    gateway = Gateway(
        settings=settings,
        stories=stories,
        jobs=Jobs(stories),
        users=Users(sessions, settings.admins),
        idempotency=Idempotency(keys),
        tokens=tokens,
        tickets=tickets,
        readmodel=readmodel,
        projector=projector,
        suggester=Suggester(chat := chat_client(providers)),
        store=runtime.store,
        link=lambda key: storage.url(key) if key else None,
        storage=storage,
        costs=costs,
        providers=providers,
        clock=now,
        readiness=readiness,
    )
    try:
        if broker is not None:
            await broker.start()
        async with (
            in_background(_expire_keys(keys)),
            metrics.queue_depths(runtime.client.jetstream(), runtime.topology),
        ):
            yield gateway
    finally:
        if broker is not None:
            await stop_consuming(broker)
        await runtime.close()
        await engine.dispose()
        if chat is not None:
            await chat.close()


async def _expire_keys(keys: SqlIdempotencyRecords, every: float = 3600) -> None:
    """Forget idempotency keys past their 24 hours, hourly (any replica may: it is idempotent)."""
    while True:
        try:
            if removed := await keys.expire(now()):
                log.info("forgot %d expired idempotency keys", removed)
        except Exception as error:  # the database may be away for a while: try again later
            log.warning("could not expire idempotency keys: %s", error)
        await asyncio.sleep(every)


def build_app(settings: GatewaySettings) -> FastAPI:
    """The ASGI app; its lifespan starts and stops the gateway."""

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with running(settings) as gateway:
            app.state.gateway = gateway
            yield

    return create_app(settings, lifespan)


async def rebuild(settings: GatewaySettings) -> int:
    runtime = await Runtime.connect(settings)
    await upgrade_async(settings.database_url)
    engine, sessions = make_engine(settings.database_url)
    try:
        return await ReadModel(sessions).rebuild(runtime.store.replay())
    finally:
        await runtime.close()
        await engine.dispose()


async def project(settings: GatewaySettings) -> None:
    """Run only the projector (no HTTP) until SIGINT or SIGTERM."""
    runtime = await Runtime.connect(settings)
    await upgrade_async(settings.database_url)
    engine, sessions = make_engine(settings.database_url)
    broker = projector_broker(settings, runtime, make_projector(runtime, ReadModel(sessions)))
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    try:
        await broker.start()
        await stop.wait()
    finally:
        await stop_consuming(broker)
        await runtime.close()
        await engine.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="vp-gateway", description="VideoPlanet gateway")
    parser.add_argument(
        "command",
        nargs="?",
        default="serve",
        choices=["serve", "project", "migrate", "rebuild"],
        help="serve the API (and the projector), run only the projector, migrate the database, "
        "or rebuild the read model from the log",
    )
    args = parser.parse_args(argv)
    settings = GatewaySettings()
    telemetry.setup(settings)
    if args.command == "migrate":
        asyncio.run(upgrade_async(settings.database_url))
        return 0
    if args.command == "project":
        asyncio.run(project(settings))
        return 0
    if args.command == "rebuild":
        count = asyncio.run(rebuild(settings))
        print(f"read model rebuilt from {count} facts")
        return 0
    config = uvicorn.Config(
        build_app(settings),
        host=settings.gateway_host,
        port=settings.gateway_port,
        log_level="info",
        log_config=None,  # records go to the root logger: one format (text or JSON)
    )
    uvicorn.Server(config).run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
