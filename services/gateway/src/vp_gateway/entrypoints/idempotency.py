"""The ``Idempotency-Key`` header on every changing request (pure ASGI, around the routes).

A request with a key is bound to it before it runs (see ``service/idempotency.py``): a repeat
gets the first answer again (``Idempotent-Replayed: true``), a different request under the
same key a 422, a repeat while the first still runs a 409. Requests without a valid token go
through untouched: the route answers 401 and nothing is kept.
"""

from __future__ import annotations

import json
import re
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send
from vp_runtime.web.auth import InvalidToken

from vp_gateway.service.idempotency import (
    Answer,
    InProgress,
    Mismatch,
    Proceed,
    Replay,
    fingerprint,
)

HEADER = "Idempotency-Key"
KEY_PATTERN = r"^[A-Za-z0-9_-]{8,64}$"
_KEY = re.compile(KEY_PATTERN)
CHANGING = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class IdempotencyKeys:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = dict(scope.get("headers") or [])
        raw_key = headers.get(HEADER.lower().encode())
        if scope["type"] != "http" or scope["method"] not in CHANGING or raw_key is None:
            await self.app(scope, receive, send)
            return
        key = raw_key.decode("latin-1")
        if not _KEY.fullmatch(key):
            await _error(
                send,
                422,
                "invalid_input",
                f"{HEADER}: use 8-64 letters, digits, '-' or '_' (a UUID works)",
                {"errors": [{"field": HEADER, "rule": "8-64 of A-Z a-z 0-9 - _", "in": "header"}]},
            )
            return
        gateway = scope["app"].state.gateway
        user_id = _user(gateway, headers.get(b"authorization", b""))
        if user_id is None:
            await self.app(scope, receive, send)
            return
        body = await _read_body(receive)
        query = scope.get("query_string", b"").decode("latin-1")
        decision = await gateway.idempotency.begin(
            user_id,
            key,
            scope["method"],
            scope["path"],
            fingerprint(scope["method"], scope["path"], query, body),
            gateway.clock(),
        )
        if isinstance(decision, Proceed):
            scope.setdefault("state", {})["command_id"] = decision.command_id
            await self._run(scope, body, receive, send, gateway, user_id, key)
        elif isinstance(decision, Replay):
            await _answer(send, decision.answer, [(b"idempotent-replayed", b"true")])
        elif isinstance(decision, Mismatch):
            await _error(
                send,
                422,
                "idempotency_key_reused",
                f"this {HEADER} was already used for another request ({decision.method} "
                f"{decision.path}); send a new key with every new request",
                {"first_request": {"method": decision.method, "path": decision.path}},
            )
        elif isinstance(decision, InProgress):
            await _error(
                send,
                409,
                "idempotency_in_progress",
                f"the first request with this {HEADER} is still running; "
                f"try again in {decision.retry_after} s",
                {"retry_after_seconds": decision.retry_after},
                [(b"retry-after", str(decision.retry_after).encode())],
            )

    async def _run(
        self,
        scope: Scope,
        body: bytes,
        receive: Receive,
        send: Send,
        gateway: Any,
        user_id: str,
        key: str,
    ) -> None:
        captured: dict[str, Any] = {"status": None, "type": "", "chunks": []}
        replayed = False

        async def replay_body() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                captured["status"] = int(message["status"])
                for name, value in message.get("headers", []):
                    if name.lower() == b"content-type":
                        captured["type"] = value.decode("latin-1")
            elif message["type"] == "http.response.body":
                captured["chunks"].append(message.get("body", b""))
            await send(message)

        answer = None
        try:
            await self.app(scope, replay_body, capture)
        finally:
            if captured["status"] is not None:
                answer = Answer(captured["status"], captured["type"], b"".join(captured["chunks"]))
            await gateway.idempotency.finish(user_id, key, answer)


def _user(gateway: Any, authorization: bytes) -> str | None:
    scheme, _, token = authorization.decode("latin-1").partition(" ")
    if scheme.lower() != "bearer" or not token:
        return None
    try:
        return str(gateway.tokens.check(token.strip(), gateway.clock()).user_id)
    except InvalidToken:
        return None


async def _read_body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


async def _answer(send: Send, answer: Answer, extra: list[tuple[bytes, bytes]]) -> None:
    headers = [(b"content-type", answer.content_type.encode("latin-1")), *extra]
    await send({"type": "http.response.start", "status": answer.status, "headers": headers})
    await send({"type": "http.response.body", "body": answer.body})


async def _error(
    send: Send,
    status: int,
    code: str,
    message: str,
    details: dict[str, Any],
    extra: list[tuple[bytes, bytes]] | None = None,
) -> None:
    body = json.dumps({"error": {"code": code, "message": message, "details": details}})
    answer = Answer(status, "application/json", body.encode())
    await _answer(send, answer, extra or [])
