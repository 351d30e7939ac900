"""``/healthz``, ``/readyz`` and ``/metrics`` for the worker services (the HTTP services mount
the same routes on their own apps), served until SIGINT or SIGTERM."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import uvicorn
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from vp_runtime.aio import until_stopped
from vp_runtime.eventstore import EventStore
from vp_runtime.settings import RuntimeSettings

Check = Callable[[], Awaitable[dict[str, str]]]

_ABOUT: dict[str, Callable[[], object]] = {}


def describe(name: str, what: Callable[[], object]) -> None:
    """Add ``name: what()`` to every ``/readyz`` answer of this process (facts that say how it
    works, not whether it does: the video encoder it found, say)."""
    _ABOUT[name] = what


def store_check(store: EventStore) -> Check:
    """Ready when the story stream answers through this process's NATS connection."""

    async def check() -> dict[str, str]:
        try:
            await asyncio.wait_for(store.head(), 2)
        except Exception as error:  # any failure means not ready
            return {"event_log": f"unavailable: {type(error).__name__}"}
        return {"event_log": "ok"}

    return check


def health_routes(check: Check, registry: CollectorRegistry = REGISTRY) -> list[Route]:
    async def healthz(_: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def readyz(_: Request) -> Response:
        checks = await check()
        ready = all(value == "ok" for value in checks.values())
        about = {name: what() for name, what in _ABOUT.items()}
        return JSONResponse(
            {"status": "ready" if ready else "not ready", "checks": checks, **about},
            status_code=200 if ready else 503,
        )

    async def metrics(_: Request) -> Response:
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    return [
        Route("/healthz", healthz),
        Route("/readyz", readyz),
        Route("/metrics", metrics),
    ]


async def serve_until_stopped(settings: RuntimeSettings, store: EventStore) -> None:
    """Serve the health routes on ``VP_HEALTH_PORT`` (if set) until the process is told to stop."""
    if settings.health_port is None:
        await until_stopped()
        return
    app = Starlette(routes=health_routes(store_check(store)))
    config = uvicorn.Config(
        app,
        host=settings.health_host,
        port=settings.health_port,
        log_level="warning",
        access_log=False,
        lifespan="off",
    )
    await uvicorn.Server(config).serve()  # returns on SIGINT / SIGTERM
