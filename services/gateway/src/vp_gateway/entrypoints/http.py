"""The FastAPI application: routes, error format, limits, docs."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

from fastapi import FastAPI
from vp_runtime.web.app import instrument, offline_docs, operation_id

from vp_gateway.entrypoints import errors, schemas
from vp_gateway.entrypoints.idempotency import IdempotencyKeys
from vp_gateway.entrypoints.middleware import BodyLimit, RequestId
from vp_gateway.entrypoints.routes import (
    admin,
    assets,
    auth,
    budgets,
    events,
    fonts,
    health,
    jobs,
    media,
    music,
    providers,
    scenes,
    stories,
    studio,
    suggestions,
    usage,
    voices,
)
from vp_gateway.settings import GatewaySettings

DESCRIPTION = """
VideoPlanet turns a story into a video: plan it into scenes, generate a fast preview, render
the final video. Every change is a fact in the story's event log; these endpoints send
commands and read what the log says.

Authenticate with `POST /api/auth/token` and send `Authorization: Bearer <token>`. Errors are
`{"error": {"code", "message", "details"}}`.

Other teams that follow the facts on NATS: the event contracts are at
[/api/ai-video/events/docs/](/api/ai-video/events/docs/) (AsyncAPI).
"""

TAGS = [
    {"name": "auth", "description": "Accounts, access and refresh tokens, machine API keys"},
    {
        "name": "stories",
        "description": "A story from draft to final video: create, edit, plan, preview, render, "
        "variants, export, its history and cost",
    },
    {"name": "scenes", "description": "The planned scenes of a story: edit, reorder, regenerate"},
    {"name": "jobs", "description": "Generation jobs: list, inspect, retry, cancel, statistics"},
    {"name": "assets", "description": "The creator's own files: presigned upload, list, delete"},
    {"name": "voices", "description": "Narration voices per language"},
    {"name": "fonts", "description": "Subtitle fonts per language"},
    {"name": "music", "description": "The built-in background music library"},
    {"name": "suggestions", "description": "Prompt ideas for the studio's steps"},
    {"name": "usage", "description": "Spending and generation counts by day, month, provider"},
    {"name": "budgets", "description": "Monthly spending caps per user, project and in all"},
    {"name": "admin", "description": "Operators: parked facts, providers at run time"},
    {"name": "events", "description": "The facts on NATS for other teams: the AsyncAPI document"},
    {"name": "health", "description": "Liveness, readiness and Prometheus metrics"},
    {"name": "media", "description": "Signed links of the local storage backend"},
]


def create_app(
    settings: GatewaySettings,
    lifespan: Callable[[FastAPI], AbstractAsyncContextManager[None]] | None = None,
) -> FastAPI:
    """The app; ``lifespan`` must put a :class:`Gateway` on ``app.state.gateway``."""
    app = FastAPI(
        title="VideoPlanet AI video API",
        version="1.0.0",
        description=DESCRIPTION,
        docs_url=None,
        openapi_url="/api/ai-video/openapi.json",
        redoc_url=None,
        lifespan=lifespan,
        generate_unique_id_function=operation_id,
        openapi_tags=TAGS,
    )
    errors.install(app)
    offline_docs(app, "/api/ai-video/docs/", "VideoPlanet")
    for module in (
        auth,
        stories,
        scenes,
        jobs,
        assets,
        voices,
        fonts,
        music,
        suggestions,
        usage,
        admin,
        providers,
        budgets,
        events,
        health,
        media,
        studio,
    ):
        app.include_router(module.router)
    _finish_document(app)
    app.add_middleware(IdempotencyKeys)
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
    app.add_middleware(RequestId)
    instrument(app, "gateway")
    return app


ERROR_REF = {"$ref": "#/components/schemas/ErrorOut"}
CHANGING = ("post", "put", "patch", "delete")
COMMON_ERRORS = {
    "413": "The body is larger than the limit (VP_MAX_BODY_BYTES)",
    "422": "Invalid input: `details.errors` names each field and rule",
}


def _finish_document(app: FastAPI) -> None:
    """Every error answer in the schema as it is sent: ``ErrorOut`` (FastAPI would document
    its own validation error body, which this API never sends), 413 wherever a body goes; and
    the models' examples as they are (FastAPI leaves every null out of the document, which
    would make an example of a nullable field an answer the API never gives)."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = build()
        for path, operations in schema.get("paths", {}).items():
            for method, operation in operations.items():
                responses = operation.setdefault("responses", {})
                wanted = ["422"] if "422" in responses or method in CHANGING else []
                if method in CHANGING:
                    wanted.append("413")
                for status in wanted:
                    description = COMMON_ERRORS[status]
                    responses[status] = {
                        "description": description,
                        "content": {"application/json": {"schema": ERROR_REF}},
                    }
                if path == "/readyz":
                    responses["503"] = {"description": "Not ready: `checks` names what is missing"}
        components = schema.get("components", {}).get("schemas", {})
        for name in ("HTTPValidationError", "ValidationError"):
            components.pop(name, None)
        for name, component in components.items():
            if "examples" in component:
                component["examples"] = schemas.examples_of(name)
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
