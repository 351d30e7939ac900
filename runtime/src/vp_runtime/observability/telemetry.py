"""Logs and traces, set up once per process.

Logs: text by default, JSON lines with ``VP_LOG_FORMAT=json`` (each with the current trace and
span ids). Traces: OpenTelemetry, exported by OTLP/HTTP when ``VP_OTEL_EXPORTER_OTLP_ENDPOINT``
(or the standard ``OTEL_EXPORTER_OTLP_ENDPOINT``) is set; the W3C ``traceparent`` travels in
NATS headers (the event store writes it on every fact and scene job, FastStream's telemetry
middleware continues the trace in the consumer), so one trace runs from a REST request through
every service it causes.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from datetime import UTC, datetime
from typing import Any

from opentelemetry import propagate, trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

from vp_runtime.settings import RuntimeSettings

_provider: TracerProvider | None = None


def tracer_provider() -> TracerProvider:
    """The process's provider (one that records nothing until :func:`setup` or :func:`use`)."""
    global _provider
    if _provider is None:
        _provider = TracerProvider()
    return _provider


def use(provider: TracerProvider) -> None:
    """Record this process's spans with ``provider`` (tests pass an in-memory one)."""
    global _provider
    _provider = provider


def inject(headers: dict[str, str]) -> None:
    """Add the current trace context (``traceparent``) to message headers."""
    propagate.inject(headers)


def traced(headers: dict[str, str]) -> dict[str, str]:
    """``headers`` with the current trace context added."""
    inject(headers)
    return headers


def consumed(headers: dict[str, str] | None, subject: str, start_ns: int, end_ns: int) -> None:
    """Record that a message was processed (a CONSUMER span in the trace its headers carry),
    for consumers that handle messages outside FastStream's middleware (batches)."""
    tracer = tracer_provider().get_tracer("vp_runtime")
    span = tracer.start_span(
        f"{subject} process",
        context=propagate.extract(headers or {}),
        kind=trace.SpanKind.CONSUMER,
        start_time=start_ns,
    )
    span.end(end_time=end_ns)


class JsonFormatter(logging.Formatter):
    def __init__(self, service: str) -> None:
        super().__init__()
        self._service = service

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname.lower(),
            "service": self._service,
            "logger": record.name,
            "message": record.getMessage(),
        }
        context = trace.get_current_span().get_span_context()
        if context.is_valid:
            entry["trace_id"] = format(context.trace_id, "032x")
            entry["span_id"] = format(context.span_id, "016x")
        if record.exc_info:
            entry["error"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def setup(settings: RuntimeSettings) -> TracerProvider:
    """Configure logging and tracing for a service process; returns the tracer provider."""
    handler = logging.StreamHandler(sys.stdout)
    if settings.log_format == "json":
        handler.setFormatter(JsonFormatter(settings.service_name))
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(settings.log_level.upper())
    for noisy in ("faststream", "faststream.access", "httpx"):  # one line per message otherwise
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))

    provider = tracing(settings)
    use(provider)
    return provider


def tracing(settings: RuntimeSettings) -> TracerProvider:
    """A tracer provider naming the service, exporting by OTLP/HTTP when an endpoint is set."""
    provider = TracerProvider(
        resource=Resource.create({"service.name": f"vp-{settings.service_name}"})
    )
    endpoint = settings.otel_exporter_otlp_endpoint or os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT")
    if endpoint:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        provider.add_span_processor(
            BatchSpanProcessor(OTLPSpanExporter(endpoint=endpoint.rstrip("/") + "/v1/traces"))
        )
    return provider
