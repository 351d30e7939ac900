"""What both HTTP services (gateway, notifier) add to their apps: a server span per request
(OpenTelemetry FastAPI instrumentation) and request metrics by route template."""

from __future__ import annotations

import time
from typing import Any

from fastapi import FastAPI
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from vp_runtime import telemetry
from vp_runtime.metrics import HTTP_REQUESTS, HTTP_SECONDS

UNTRACED = "healthz,readyz,metrics"


class HttpMetrics:
    """``http_requests_total`` and ``http_request_duration_seconds`` (to the response start,
    so a live stream counts once, when it begins)."""

    def __init__(self, app: ASGIApp, service: str) -> None:
        self.app = app
        self.service = service

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        def route() -> str:
            found: Any = scope.get("route")
            return str(getattr(found, "path", "unmatched"))

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                HTTP_SECONDS.labels(self.service, scope["method"], route()).observe(
                    time.perf_counter() - started
                )
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            HTTP_REQUESTS.labels(self.service, scope["method"], route(), str(status)).inc()


def instrument(app: FastAPI, service: str) -> None:
    FastAPIInstrumentor.instrument_app(
        app, tracer_provider=telemetry.tracer_provider(), excluded_urls=UNTRACED
    )
    app.add_middleware(HttpMetrics, service=service)
