"""What both HTTP services (gateway, notifier) add to their apps: a server span per request
(OpenTelemetry FastAPI instrumentation), request metrics by route template, offline docs and
operation ids a generated client can use as method names."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import fastapi_offline
from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.routing import APIRoute
from fastapi.staticfiles import StaticFiles
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from vp_runtime.observability import telemetry
from vp_runtime.observability.metrics import HTTP_REQUESTS, HTTP_SECONDS

UNTRACED = "healthz,readyz,metrics"


def operation_id(route: APIRoute) -> str:
    """The route function's name in lower camel case (``list_stories`` -> ``listStories``): the
    method name in every client generated from the schema, so it must read as an action."""
    first, *rest = route.name.split("_")
    return first + "".join(word.capitalize() for word in rest)


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


DOCS_ASSETS = Path(fastapi_offline.__file__).resolve().parent / "static"
"""Swagger UI 5 (OpenAPI 3.1), its stylesheet and favicon, shipped in the fastapi-offline wheel."""


def offline_docs(app: FastAPI, docs_url: str, title: str) -> None:
    """Swagger UI at ``docs_url`` with every asset served by this app: the page works with no
    internet (FastAPI's own docs page loads them from a CDN and is blank offline)."""
    static = f"{docs_url.rstrip('/')}/assets"
    app.mount(static, StaticFiles(directory=DOCS_ASSETS), name=f"docs-assets-{docs_url}")

    async def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title=f"{title} - API docs",
            swagger_js_url=f"{static}/swagger-ui-bundle.js",
            swagger_css_url=f"{static}/swagger-ui.css",
            swagger_favicon_url=f"{static}/favicon.png",
        )

    app.add_api_route(docs_url, docs, include_in_schema=False)
