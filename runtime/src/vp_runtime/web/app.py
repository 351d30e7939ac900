"""What both HTTP services (gateway, notifier) add to their apps: a server span and request
metrics per request by route template, offline docs and operation ids a generated client can
use as method names."""

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
from opentelemetry import propagate, trace
from opentelemetry.sdk.trace import TracerProvider
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from vp_runtime.observability import telemetry
from vp_runtime.observability.metrics import HTTP_REQUESTS, HTTP_SECONDS


def operation_id(route: APIRoute) -> str:
    """The route function's name in lower camel case (``list_stories`` -> ``listStories``): the
    method name in every client generated from the schema, so it must read as an action."""
    first, *rest = route.name.split("_")
    return first + "".join(word.capitalize() for word in rest)


UNTRACED_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})
"""Probes and scrapes: counted, not traced (a span every few seconds per pod saying nothing)."""
_PROPAGATED = frozenset({b"traceparent", b"tracestate", b"baggage"})


class HttpTelemetry:
    """Per request: a SERVER span named by method and route template, continuing the caller's
    trace (W3C ``traceparent``) and current while the route runs (so facts it writes carry
    it on), and ``http_requests_total`` / ``http_request_duration_seconds`` by route template
    (the duration to the response start, so a live stream counts once, when it begins).

    One plain ASGI layer instead of OpenTelemetry's FastAPI instrumentation, which costs
    about a quarter of a cheap request here (it matches every route again to name the span
    and wraps each send in a span of its own)."""

    def __init__(self, app: ASGIApp, service: str) -> None:
        self.app = app
        self.service = service
        self._tracer: tuple[TracerProvider, trace.Tracer] | None = None

    def tracer(self) -> trace.Tracer:
        provider = telemetry.tracer_provider()  # tests may swap it
        if self._tracer is None or self._tracer[0] is not provider:
            self._tracer = (provider, provider.get_tracer("vp_runtime.web"))
        return self._tracer[1]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        method = scope["method"]
        status = 500

        def route() -> str:
            found: Any = scope.get("route")
            return str(getattr(found, "path", "unmatched"))

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                HTTP_SECONDS.labels(self.service, method, route()).observe(
                    time.perf_counter() - started
                )
            await send(message)

        try:
            if scope["path"] in UNTRACED_PATHS:
                await self.app(scope, receive, sending)
                return
            carrier = {
                name.decode("latin-1"): value.decode("latin-1")
                for name, value in scope["headers"]
                if name in _PROPAGATED
            }
            with self.tracer().start_as_current_span(
                method,
                context=propagate.extract(carrier),
                kind=trace.SpanKind.SERVER,
                attributes={"http.request.method": method, "url.path": scope["path"]},
            ) as span:
                try:
                    await self.app(scope, receive, sending)
                finally:
                    template = route()
                    span.update_name(f"{method} {template}")
                    span.set_attribute("http.route", template)
                    span.set_attribute("http.response.status_code", status)
                    if status >= 500:
                        span.set_status(trace.StatusCode.ERROR)
        finally:
            HTTP_REQUESTS.labels(self.service, method, route(), str(status)).inc()


def instrument(app: FastAPI, service: str) -> None:
    app.add_middleware(HttpTelemetry, service=service)


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
