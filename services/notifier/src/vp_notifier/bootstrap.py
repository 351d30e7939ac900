"""The notifier's object graph, built from settings and torn down in reverse."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import httpx
from fastapi import FastAPI
from vp_runtime.process import Runtime, settle_heap
from vp_runtime.storage import SignedLinks, media_route, storage_from
from vp_runtime.web.auth import policies
from vp_runtime.web.health import store_check

from vp_notifier.entrypoints.http import create_app
from vp_notifier.entrypoints.subscribers import subscriptions
from vp_notifier.service.live import Hub
from vp_notifier.service.notifier import Notifier
from vp_notifier.service.webhooks import Sender
from vp_notifier.settings import NotifierSettings


def _now() -> datetime:
    return datetime.now(UTC)


@contextlib.asynccontextmanager
async def running(settings: NotifierSettings) -> AsyncIterator[Notifier]:
    """Live updates and webhooks, working until the block ends."""
    if settings.jwt_secret is None:
        raise SystemExit(
            "VP_JWT_SECRET is unset: the notifier checks the gateway's tickets and tokens, "
            "so it needs the same secret as the gateway"
        )
    runtime = await Runtime.connect(settings)
    storage = storage_from(settings)
    hub = Hub(runtime.client, runtime.topology)
    tokens, tickets = policies(settings, settings.jwt_secret.get_secret_value())
    http = httpx.AsyncClient(timeout=settings.webhook_timeout_seconds)
    notifier = Notifier(
        log=runtime.store,
        hub=hub,
        tokens=tokens,
        tickets=tickets,
        link=SignedLinks(
            storage, timedelta(seconds=settings.link_lifetime_seconds), media_route(settings)
        ),
        clock=_now,
        readiness=store_check(runtime.store),
        queue_size=settings.client_queue_size,
        keepalive_seconds=settings.keepalive_seconds,
    )
    await hub.start()
    try:
        async with runtime.consuming(subscriptions(settings, Sender(http))):
            yield notifier
    finally:
        await hub.stop()
        await http.aclose()
        await runtime.close()


def build_app(settings: NotifierSettings) -> FastAPI:
    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with running(settings) as notifier:
            app.state.notifier = notifier
            settle_heap()
            yield

    return create_app(lifespan, settings.origins)
