"""The event contracts for other teams: the AsyncAPI document of the story and budget logs,
and a page that reads it (``/api/ai-video/events/docs/``). Public, like the API's own docs."""

from __future__ import annotations

import functools
from typing import Any

from fastapi import APIRouter
from fastapi.responses import HTMLResponse
from vp_contracts.schema.asyncapi import asyncapi_document

from vp_gateway.entrypoints.event_docs import event_docs_page

PREFIX = "/api/ai-video/events"
router = APIRouter(prefix=PREFIX, tags=["events"])


@functools.cache
def _document() -> dict[str, Any]:
    return asyncapi_document()


@router.get("/asyncapi.json")
async def get_event_contracts() -> dict[str, Any]:
    """The AsyncAPI 3 document of every fact on NATS: subjects, CloudEvents headers and the
    JSON Schema of each payload (the same contracts the services are built from)."""
    return _document()


@router.get("/docs/", response_class=HTMLResponse, include_in_schema=False)
async def event_docs() -> HTMLResponse:
    return HTMLResponse(_page(), headers={"Cache-Control": "public, max-age=300"})


@functools.cache
def _page() -> str:
    return event_docs_page(_document(), f"{PREFIX}/asyncapi.json")
