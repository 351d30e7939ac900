"""The gateway's object graph, built from settings and torn down in reverse: the API with its
projector (``running``), the projector alone (``projecting``), a rebuild of the read model."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from vp_contracts.envelope import RecordedEvent
from vp_contracts.events.base import Event
from vp_runtime.aio import in_background
from vp_runtime.eventstore import EventStore
from vp_runtime.messaging.subscriptions import consumer
from vp_runtime.process import Runtime, settle_heap
from vp_runtime.providers.catalog import ProviderCatalog, live_catalog
from vp_runtime.providers.chat import chat_client
from vp_runtime.providers.config import load_provider_configs, prices
from vp_runtime.storage import SignedLinks, media_route, storage_from
from vp_runtime.web.auth import policies

from vp_gateway.adapters.db.assets import SqlAssets
from vp_gateway.adapters.db.credentials import SqlCredentials
from vp_gateway.adapters.db.engine import make_engine, upgrade_async
from vp_gateway.adapters.db.idempotency import SqlIdempotencyRecords
from vp_gateway.adapters.db.readmodel import ReadModel, describe
from vp_gateway.adapters.db.reads import reads_for
from vp_gateway.adapters.db.users import SqlAccounts
from vp_gateway.adapters.moderation import OpenAIModeration
from vp_gateway.domain.policy import TermList, merged
from vp_gateway.entrypoints.deps import Gateway
from vp_gateway.entrypoints.http import create_app
from vp_gateway.entrypoints.subscribers import subscriptions
from vp_gateway.service import metrics
from vp_gateway.service.assets import Assets
from vp_gateway.service.budgets import BudgetOffice
from vp_gateway.service.credentials import Credentials
from vp_gateway.service.idempotency import Idempotency
from vp_gateway.service.jobs import Jobs
from vp_gateway.service.policy import ContentPolicy
from vp_gateway.service.projection import Projector
from vp_gateway.service.stories import Quota, Stories
from vp_gateway.service.suggestions import Suggester
from vp_gateway.service.users import Users
from vp_gateway.settings import GatewaySettings

log = logging.getLogger("vp_gateway")


def now() -> datetime:
    return datetime.now(UTC)


def _secret(settings: GatewaySettings) -> str:
    if settings.jwt_secret is None:
        log.warning(
            "VP_JWT_SECRET is unset: tokens are signed with a random key that dies with the process"
        )
        return secrets.token_urlsafe(48)
    return settings.jwt_secret.get_secret_value()


async def _current_read_model(runtime: Runtime, readmodel: ReadModel) -> None:
    """Rebuild the read model from the log when the projector could not go on from it: folded
    by other code, or behind what its consumer has acknowledged (a new or restored database),
    where batches would wait for facts that will never come again."""
    if not await readmodel.check_revision():
        log.warning("the read model was folded by other code: rebuilding it from the log")
    else:
        spec = consumer(runtime.topology, "gateway-projector")
        info = await runtime.client.jetstream().consumer_info(spec.stream, spec.name)
        acknowledged = int(info.ack_floor.stream_seq or 0) if info.ack_floor else 0
        position = await readmodel.position()
        if acknowledged <= position:
            return
        log.warning(
            "the read model is at fact #%d but its projector acknowledged #%d: rebuilding it",
            position,
            acknowledged,
        )
    await readmodel.rebuild(runtime.store.replay())


@dataclass(frozen=True)
class _InGeneration:
    """The read model's stories in generation, once it shows every fact written before."""

    store: EventStore
    readmodel: ReadModel
    wait_seconds: float

    async def in_generation(self, owner_id: str) -> list[str]:
        await self.readmodel.wait_for(await self.store.head(), self.wait_seconds)
        return await self.readmodel.in_generation(owner_id)


def _projector(runtime: Runtime, readmodel: ReadModel) -> Projector:
    async def observe(recorded: RecordedEvent[Event]) -> None:
        await metrics.observe(runtime.store, recorded)

    return Projector(readmodel, runtime.store.load, observe, describe)


@contextlib.asynccontextmanager
async def _database(
    settings: GatewaySettings,
) -> AsyncIterator[tuple[AsyncEngine, async_sessionmaker[AsyncSession]]]:
    """The read model's database, migrated to the newest schema."""
    await upgrade_async(settings.database_url)
    engine, sessions = make_engine(settings.database_url, settings.database_pool_size)
    try:
        yield engine, sessions
    finally:
        await engine.dispose()


@contextlib.asynccontextmanager
async def running(settings: GatewaySettings) -> AsyncIterator[Gateway]:
    """Everything the gateway needs, started in order and stopped in reverse."""
    runtime = await Runtime.connect(settings)
    try:
        async with (
            _database(settings) as (_, sessions),
            reads_for(settings.database_url, sessions, settings.database_pool_size) as reads,
            live_catalog(
                load_provider_configs(), runtime.client.jetstream(), runtime.topology
            ) as catalog,
            _serving(settings, runtime, sessions, ReadModel(sessions, reads), catalog) as gw,
        ):
            yield gw
    finally:
        await runtime.close()


@contextlib.asynccontextmanager
async def _serving(
    settings: GatewaySettings,
    runtime: Runtime,
    sessions: async_sessionmaker[AsyncSession],
    readmodel: ReadModel,
    catalog: ProviderCatalog,
) -> AsyncIterator[Gateway]:
    if settings.run_projector:
        await _current_read_model(runtime, readmodel)
    storage = storage_from(settings)
    await storage.prepare()
    limit = settings.max_stories_in_generation
    active = _InGeneration(runtime.store, readmodel, settings.read_wait_seconds)
    quota = Quota(limit, active) if limit else None
    budgets = BudgetOffice(runtime.budgets, settings.budget_timezone)
    moderation = (
        OpenAIModeration(
            settings.moderation_url,
            settings.moderation_api_key.get_secret_value() if settings.moderation_api_key else None,
            settings.moderation_model,
        )
        if settings.moderation_url
        else None
    )
    policy = (
        ContentPolicy(
            TermList(merged(settings.default_blocked_terms, settings.blocked_terms)), moderation
        )
        if settings.content_policy
        else None
    )
    stories = Stories(runtime.store, lambda: prices(catalog.current()), quota, budgets, policy)
    projector = _projector(runtime, readmodel)
    await projector.refresh_gauge()

    async def readiness() -> dict[str, str]:
        checks = {"nats": "ok" if runtime.client.is_connected else "disconnected"}
        try:
            async with sessions() as session:
                await session.execute(text("select 1"))
            checks["database"] = "ok"
        except Exception as error:  # any failure means not ready; the reason is shown
            checks["database"] = f"error: {type(error).__name__}"
        return checks

    tokens, tickets = policies(settings, _secret(settings))
    accounts = SqlAccounts(sessions)
    keys = SqlIdempotencyRecords(sessions)
    chat = chat_client(catalog.current())
    assets = Assets(SqlAssets(sessions), storage, now)
    gateway = Gateway(
        settings=settings,
        stories=stories,
        budgets=budgets,
        jobs=Jobs(stories, readmodel),
        users=Users(accounts, settings.admins),
        credentials=Credentials(
            SqlCredentials(sessions), accounts, timedelta(days=settings.refresh_ttl_days)
        ),
        assets=assets,
        idempotency=Idempotency(keys),
        tokens=tokens,
        tickets=tickets,
        readmodel=readmodel,
        projector=projector,
        suggester=Suggester(chat),
        store=runtime.store,
        link=SignedLinks(
            storage, timedelta(seconds=settings.link_lifetime_seconds), media_route(settings)
        ),
        storage=storage,
        catalog=catalog,
        clock=now,
        readiness=readiness,
    )
    table = subscriptions(projector) if settings.run_projector else []
    try:
        async with (
            runtime.consuming(table),
            in_background(_expire_keys(keys)),
            in_background(_expire_uploads(assets)),
            metrics.queue_depths(runtime.client.jetstream(), runtime.topology),
        ):
            yield gateway
    finally:
        if chat is not None:
            await chat.close()
        if moderation is not None:
            await moderation.close()


async def _expire_keys(keys: SqlIdempotencyRecords, every: float = 3600) -> None:
    """Forget idempotency keys past their 24 hours, hourly (any replica may: it is idempotent)."""
    while True:
        try:
            if removed := await keys.expire(now()):
                log.info("forgot %d expired idempotency keys", removed)
        except Exception as error:  # the database may be away for a while: try again later
            log.warning("could not expire idempotency keys: %s", error)
        await asyncio.sleep(every)


async def _expire_uploads(assets: Assets, every: float = 600) -> None:
    """Give up uploads never completed, every ten minutes (any replica may)."""
    while True:
        try:
            if removed := await assets.expire_pending():
                log.info("gave up %d uploads that were never completed", removed)
        except Exception as error:  # storage or the database away: try again later
            log.warning("could not expire pending uploads: %s", error)
        await asyncio.sleep(every)


def build_app(settings: GatewaySettings) -> FastAPI:
    """The ASGI app; its lifespan starts and stops the gateway."""

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with running(settings) as gateway:
            app.state.gateway = gateway
            settle_heap()
            yield

    return create_app(settings, lifespan)


async def rebuild(settings: GatewaySettings) -> int:
    """Fold the whole log into an empty read model; how many facts it took."""
    runtime = await Runtime.connect(settings)
    try:
        async with _database(settings) as (_, sessions):
            return await ReadModel(sessions).rebuild(runtime.store.replay())
    finally:
        await runtime.close()


@contextlib.asynccontextmanager
async def projecting(settings: GatewaySettings) -> AsyncIterator[Runtime]:
    """Only the projector (no HTTP), working until the block ends."""
    runtime = await Runtime.connect(settings)
    try:
        async with _database(settings) as (_, sessions):
            readmodel = ReadModel(sessions)
            await _current_read_model(runtime, readmodel)
            projector = _projector(runtime, readmodel)
            async with runtime.consuming(subscriptions(projector)):
                yield runtime
    finally:
        await runtime.close()
