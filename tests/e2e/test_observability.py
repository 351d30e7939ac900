"""One trace from a REST request through the services it causes; metrics on /metrics."""

from __future__ import annotations

import asyncio
import io
import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from nats.aio.client import Client
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from vp_contracts.events import story as e
from vp_devtools import devnats
from vp_runtime.messaging.connection import connect
from vp_runtime.observability import telemetry
from vp_runtime.settings import RuntimeSettings

from tests.support.gateway import running_gateway
from tests.support.pipeline import stages
from tests.support.watch import has, wait_for

pytestmark = pytest.mark.e2e


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    before = telemetry.tracer_provider()
    telemetry.use(provider)
    try:
        yield exporter
    finally:
        telemetry.use(before)


async def test_each_request_is_one_trace_through_every_service_it_causes(
    spans: InMemorySpanExporter,
    nats_server: devnats.NatsServerProcess,
    database_url: str,
    tmp_path: Path,
) -> None:
    async with running_gateway(nats_server, database_url, storage_dir=str(tmp_path)) as gateway:
        settings = RuntimeSettings(
            nats_url=gateway.settings.nats_url,
            subject_root=gateway.settings.subject_root,
            stream_prefix=gateway.settings.stream_prefix,
        )
        client: Client = await connect(settings, name="tests")
        token = await gateway.user()
        async with stages(settings, tmp_path), gateway.client(token) as http:
            story = (
                await http.post(
                    "/api/ai-video/stories/",
                    json={
                        "title": "Traced",
                        "description": "A fox walks. It finds a lantern.",
                        "character_prompt": "a small red fox",
                        "background_prompt": "a misty forest",
                        "duration_seconds": 14,
                        "project_id": "p-42",
                    },
                )
            ).json()
            path = f"/api/ai-video/stories/{story['id']}"
            answer = await http.post(f"{path}/transition/", json={"to": "planning"})
            assert answer.status_code == 200
            await wait_for(client, gateway.topology, story["id"], has(e.StoryPlanned))
            assert (await http.post(f"{path}/generate_preview/")).status_code == 202
            await wait_for(client, gateway.topology, story["id"], has(e.PreviewComposed), 120)
            listed = await http.get("/api/ai-video/stories/")  # waits for the projector
            assert listed.status_code == 200
            metrics = (await http.get("/metrics")).text
        await client.close()

    finished: list[ReadableSpan] = list(spans.get_finished_spans())

    def caused_by(route: str) -> str:
        request = next(
            s
            for s in finished
            if s.kind == SpanKind.SERVER and s.name.startswith("POST") and route in s.name
        )
        trace_id = request.context.trace_id
        return " ".join(
            s.name
            for s in finished
            if s.kind == SpanKind.CONSUMER and s.context.trace_id == trace_id
        )

    planning = caused_by("transition")
    assert "planning_requested" in planning  # the planner continued the request's trace
    assert ".planned" in planning  # and the projector continued the planner's
    preview = caused_by("generate_preview")
    assert "preview_requested" in preview  # the generator's fan-out
    assert ".jobs.scene" in preview  # each scene job on the work queue
    assert "scene_generated" in preview  # the compositor
    assert "preview_composed" in preview  # the projector, at the end of the chain
    assert "planning_requested" not in preview  # another request, another trace

    assert 'route="/api/ai-video/stories/{story_id}/transition/"' in metrics
    assert (
        'http_requests_total{method="POST",route="/api/ai-video/stories/{story_id}/transition/",'
        'service="gateway",status="200"}'
    ) in metrics
    for kind in ("plan", "scene", "compose", "preview"):
        assert (
            f'video_generation_duration_seconds_count{{status="succeeded",type="{kind}"}}'
            in metrics
        )
    assert 'ai_api_calls_total{endpoint="image",outcome="ok",provider="offline"}' in metrics
    assert (
        'messages_handled_total{outcome="ok",service="planner",subject="story.planning_requested"}'
        in metrics
    )
    assert "queue_depth{" in metrics


def test_json_logs_carry_the_trace_and_span_ids() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(telemetry.JsonFormatter("planner"))
    logger = logging.getLogger("tests.json")
    logger.addHandler(handler)
    logger.propagate = False
    provider = TracerProvider()
    with provider.get_tracer("tests").start_as_current_span("work") as span:
        logger.warning("planning %s", "story-1")
    line = json.loads(stream.getvalue())
    assert line["message"] == "planning story-1" and line["level"] == "warning"
    assert line["service"] == "planner"
    assert line["trace_id"] == format(span.get_span_context().trace_id, "032x")
    assert line["span_id"] == format(span.get_span_context().span_id, "016x")


async def test_spans_are_exported_by_otlp_when_an_endpoint_is_set() -> None:
    received: list[tuple[str, str, bytes]] = []

    async def collect(request: Request) -> Response:
        received.append((request.url.path, request.headers["content-type"], await request.body()))
        return Response(status_code=200)

    port = devnats.free_port()
    app = Starlette(routes=[Route("/v1/traces", collect, methods=["POST"])])
    server = uvicorn.Server(uvicorn.Config(app, port=port, log_level="warning", lifespan="off"))
    task = asyncio.create_task(server.serve())
    try:
        for _ in range(200):
            if server.started:
                break
            await asyncio.sleep(0.02)
        settings = RuntimeSettings(
            service_name="planner", otel_exporter_otlp_endpoint=f"http://127.0.0.1:{port}"
        )
        provider = telemetry.tracing(settings)
        with provider.get_tracer("tests").start_as_current_span("plan the story"):
            pass
        await asyncio.to_thread(provider.force_flush)
        provider.shutdown()
    finally:
        server.should_exit = True
        await task
    assert [(path, kind) for path, kind, _ in received] == [
        ("/v1/traces", "application/x-protobuf")
    ]
    body = received[0][2]
    assert b"plan the story" in body and b"vp-planner" in body
