"""Live updates over HTTP: Server-Sent Events and WebSocket, plus health and metrics.

``GET /api/ai-video/stories/{id}/events/`` streams the story as SSE (``id:`` = the fact's stream
sequence; ``Last-Event-ID`` or ``?last_event_id=`` resumes after it). ``/ws/stories/{id}/``
sends the same messages as JSON text frames (``?last_event_id=`` resumes). Both accept a
short-lived ticket from the gateway (``?ticket=``; browsers cannot set headers on EventSource)
or an ``Authorization: Bearer`` access token of the story's owner.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, FastAPI, Header, Query, Request, WebSocket, WebSocketDisconnect
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse, StreamingResponse
from vp_runtime.web.app import instrument, offline_docs, operation_id
from vp_runtime.web.health import health_routes

from vp_notifier.domain.messages import sse
from vp_notifier.service.notifier import (
    PREFIX,
    BadRequest,
    Denied,
    NotFound,
    Notifier,
    Unauthenticated,
)

log = logging.getLogger(__name__)
RETRY_MILLISECONDS = 3000


STATUS = {BadRequest: 422, Unauthenticated: 401, NotFound: 404}


class BadResumePoint(BadRequest):
    code = "invalid_last_event_id"


def _resume_point(header: str | None, query: str | None) -> int:
    value = query if query is not None else header
    if value is None or value == "":
        return 0
    if not value.isdigit():
        raise BadResumePoint(
            f"Last-Event-ID must be the id of an event received before (a whole number), not {value!r}"
        )
    return int(value)


def _status(denied: Denied) -> int:
    return next(status for kind, status in STATUS.items() if isinstance(denied, kind))


def _error(denied: Denied) -> JSONResponse:
    body = {"error": {"code": denied.code, "message": denied.message, "details": {}}}
    return JSONResponse(body, status_code=_status(denied))


router = APIRouter()


@router.get(
    PREFIX + "/stories/{story_id}/events/",
    summary="Follow a story (Server-Sent Events)",
    response_class=StreamingResponse,
)
async def story_events(
    story_id: str,
    request: Request,
    ticket: Annotated[str | None, Query(description="Ticket from the gateway")] = None,
    last_event_id: Annotated[
        str | None,
        Query(description="Resume after this event id (EventSource sends it as a header)"),
    ] = None,
    last_event_id_header: Annotated[str | None, Header(alias="Last-Event-ID")] = None,
    authorization: Annotated[str | None, Header()] = None,
) -> Any:
    notifier: Notifier = request.app.state.notifier
    try:
        after = _resume_point(last_event_id_header, last_event_id)
        await notifier.authorize(story_id, ticket, authorization)
    except Denied as denied:
        return _error(denied)
    session = notifier.session(story_id, after)

    async def stream() -> AsyncIterator[bytes]:
        yield f"retry: {RETRY_MILLISECONDS}\n\n".encode()
        with notifier.hub.watching(session):
            async for message in session.messages(notifier.keepalive_seconds):
                yield b": keep-alive\n\n" if message is None else sse(message)

    return StreamingResponse(
        stream(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


@router.websocket("/ws/stories/{story_id}/")
async def websocket(
    socket: WebSocket,
    story_id: str,
    ticket: str | None = None,
    last_event_id: str | None = None,
) -> None:
    notifier: Notifier = socket.app.state.notifier
    await socket.accept()
    try:
        after = _resume_point(None, last_event_id)
        await notifier.authorize(story_id, ticket, socket.headers.get("authorization"))
    except Denied as denied:
        await socket.send_text(
            json.dumps({"type": "error", "data": {"code": denied.code, "message": denied.message}})
        )
        # Close reasons are capped at 123 bytes: the frame above carries the whole message.
        await socket.close(code=4000 + _status(denied), reason=denied.code)
        return
    session = notifier.session(story_id, after)
    last_id: list[object] = [after]

    async def send() -> None:
        with notifier.hub.watching(session):
            async for message in session.messages(notifier.keepalive_seconds):
                if message is not None:
                    await socket.send_text(json.dumps(message, separators=(",", ":")))
                    if message.get("id") is not None:
                        last_id[0] = message["id"]

    async def until_closed() -> None:
        with contextlib.suppress(WebSocketDisconnect):
            while True:
                await socket.receive_text()

    sender, reader = asyncio.create_task(send()), asyncio.create_task(until_closed())
    done, pending = await asyncio.wait({sender, reader}, return_when=asyncio.FIRST_COMPLETED)
    for task in pending:
        task.cancel()
    for task in done:
        if not task.cancelled() and task.exception() is not None and task is sender:
            log.warning("live stream of story %s broke off", story_id, exc_info=task.exception())
            frame = {
                "type": "error",
                "data": {
                    "code": "stream_interrupted",
                    "message": "the live stream broke off on our side: reconnect with "
                    f"?last_event_id={last_id[0]} to get what follows",
                },
            }
            with contextlib.suppress(Exception):
                await socket.send_text(json.dumps(frame))
                await socket.close(code=1011, reason="stream_interrupted")


def create_app(lifespan: Any = None, cors_origins: list[str] | None = None) -> FastAPI:
    """The ASGI app; ``lifespan`` puts the running :class:`Notifier` in ``app.state.notifier``."""
    app = FastAPI(
        title="VideoPlanet notifier",
        description="Live updates of stories (SSE and WebSocket)",
        lifespan=lifespan,
        docs_url=None,
        openapi_url=f"{PREFIX}/live/openapi.json",
        generate_unique_id_function=operation_id,
    )

    async def readiness() -> dict[str, str]:
        notifier: Notifier = app.state.notifier
        return await notifier.readiness()

    app.router.routes.extend(health_routes(readiness))
    # The studio is served by the gateway (another origin in development): EventSource needs
    # CORS. No cookies are involved, the ticket in the URL is the credential.
    app.add_middleware(
        CORSMiddleware,
        allow_origins=cors_origins or ["*"],
        allow_methods=["GET"],
        allow_headers=["Authorization", "Last-Event-ID"],
    )
    offline_docs(app, f"{PREFIX}/live/docs/", "VideoPlanet notifier")
    instrument(app, "notifier")
    app.include_router(router)
    return app
