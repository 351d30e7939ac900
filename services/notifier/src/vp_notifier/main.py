"""Notifier process: wiring only. ``vp-notifier``."""

from __future__ import annotations

import contextlib
import logging
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import httpx
import uvicorn
from fastapi import FastAPI
from faststream.nats import NatsBroker
from vp_runtime.messaging.broker import make_broker
from vp_runtime.messaging.delivery import Delivery, Handler, RetryPolicy, stop_consuming, subscribe
from vp_runtime.messaging.topology import ConsumerSpec, Topology
from vp_runtime.observability import telemetry
from vp_runtime.process import Runtime
from vp_runtime.storage import storage_from
from vp_runtime.web.auth import TicketPolicy, TokenPolicy
from vp_runtime.web.health import store_check

from vp_notifier.entrypoints.http import Notifier, create_app
from vp_notifier.service.live import Hub
from vp_notifier.service.webhooks import Sender
from vp_notifier.settings import NotifierSettings, Webhook

log = logging.getLogger(__name__)


def _now() -> datetime:
    return datetime.now(UTC)


def webhook_consumer(topology: Topology, hook: Webhook, attempts: int) -> ConsumerSpec:
    subjects = topology.subjects
    wanted = [subjects.event_of_any_story(name) for name in hook.events]
    return ConsumerSpec(
        name=topology.consumer_name(f"notifier-webhook-{hook.name}"),
        stream=topology.story_stream,
        filter_subjects=tuple(wanted) or (subjects.all_stories(),),
        ack_wait=timedelta(seconds=60),
        max_deliver=attempts + 1,
        max_ack_pending=1,
        only_new=True,
        description=f"Facts for the {hook.name} webhook ({hook.url})",
    )


async def webhook_broker(
    settings: NotifierSettings, runtime: Runtime, sender: Sender
) -> NatsBroker | None:
    if not settings.webhooks:
        return None
    broker = make_broker(settings)
    policy = RetryPolicy(
        attempts=settings.webhook_attempts,
        first_delay=settings.webhook_first_delay_seconds,
        max_delay=3600,
    )
    js = runtime.client.jetstream()
    for hook in settings.webhooks:
        spec = webhook_consumer(runtime.topology, hook, settings.webhook_attempts)
        await js.add_consumer(spec.stream, spec.config())

        subscribe(
            broker,
            spec,
            runtime.topology.subjects.all_stories(),
            _deliver_to(hook, sender),
            dead_letters=runtime.dead_letters,
            policy=policy,
        )
    return broker


def _deliver_to(hook: Webhook, sender: Sender) -> Handler:
    async def deliver(delivery: Delivery) -> None:
        await sender.send(hook, delivery.story_event())

    return deliver


@contextlib.asynccontextmanager
async def running(settings: NotifierSettings) -> AsyncIterator[Notifier]:
    if settings.jwt_secret is None:
        raise SystemExit(
            "VP_JWT_SECRET is unset: the notifier checks the gateway's tickets and tokens, "
            "so it needs the same secret as the gateway"
        )
    runtime = await Runtime.connect(settings)
    storage = storage_from(settings)
    hub = Hub(runtime.client, runtime.topology)
    secret = settings.jwt_secret.get_secret_value()
    http = httpx.AsyncClient(timeout=settings.webhook_timeout_seconds)
    broker = await webhook_broker(settings, runtime, Sender(http))
    notifier = Notifier(
        settings=settings,
        store=runtime.store,
        hub=hub,
        tokens=TokenPolicy(
            secret,
            settings.jwt_issuer,
            settings.jwt_audience,
            timedelta(seconds=settings.jwt_ttl_seconds),
        ),
        tickets=TicketPolicy(
            secret,
            settings.jwt_issuer,
            settings.jwt_audience,
            timedelta(seconds=settings.ticket_ttl_seconds),
        ),
        link=storage.url,
        clock=_now,
        readiness=store_check(runtime.store),
    )
    await hub.start()
    try:
        if broker is not None:
            await broker.start()
        yield notifier
    finally:
        if broker is not None:
            await stop_consuming(broker)
        await hub.stop()
        await http.aclose()
        await runtime.close()


def build_app(settings: NotifierSettings) -> FastAPI:
    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with running(settings) as notifier:
            app.state.notifier = notifier
            yield

    return create_app(lifespan, settings.origins)


def main() -> int:
    settings = NotifierSettings()
    telemetry.setup(settings)
    uvicorn.run(
        build_app(settings),
        host=settings.notifier_host,
        port=settings.notifier_port,
        log_level="info",
        log_config=None,  # records go to the root logger: one format (text or JSON)
        timeout_graceful_shutdown=3,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
