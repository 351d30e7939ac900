"""Every error answers ``{"error": {"code", "message", "details"}}`` naming what to fix."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from vp_contracts.story.errors import Refused
from vp_runtime.eventstore import ConcurrencyError

log = logging.getLogger(__name__)

STATUS_OF_CODE = {
    "not_found": 404,
    "invalid_input": 422,
    "illegal_transition": 409,
    "wrong_state": 409,
    "already_exists": 409,
    "forbidden": 403,
    "job_finished": 409,
    "job_not_retryable": 409,
    "too_many_stories_in_generation": 429,
    "budget_exceeded": 402,
    "content_blocked": 422,
    "moderation_unavailable": 503,
}


class ApiError(Exception):
    """An error the API answers directly (401, 404, 413, ...)."""

    def __init__(
        self, status: int, code: str, message: str, details: dict[str, Any] | None = None
    ) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.details = status, code, message, details or {}


def error_response(
    status: int,
    code: str,
    message: str,
    details: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body = {"error": {"code": code, "message": message, "details": details or {}}}
    return JSONResponse(body, status_code=status, headers=headers)


def install(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def on_api_error(request: Request, error: ApiError) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if error.status == 401 else None
        return error_response(error.status, error.code, error.message, error.details, headers)

    @app.exception_handler(Refused)
    async def on_refused(request: Request, error: Refused) -> JSONResponse:
        retry = getattr(error, "retry_after_seconds", None)
        return error_response(
            STATUS_OF_CODE.get(error.code, 409),
            error.code,
            error.message,
            error.details,
            {"Retry-After": str(retry)} if retry else None,
        )

    @app.exception_handler(ConcurrencyError)
    async def on_conflict(request: Request, error: ConcurrencyError) -> JSONResponse:
        return error_response(
            409, "conflict", "the story kept changing while we wrote to it: try again"
        )

    @app.exception_handler(RequestValidationError)
    async def on_invalid(request: Request, error: RequestValidationError) -> JSONResponse:
        errors = [_field_error(item) for item in error.errors()]
        message = "; ".join(f"{e['field']}: {e['rule']}" for e in errors) or "invalid request"
        return error_response(422, "invalid_input", message, {"errors": errors})

    @app.exception_handler(StarletteHTTPException)
    async def on_http(request: Request, error: StarletteHTTPException) -> JSONResponse:
        if error.status_code == 400 and "parsing the body" in str(error.detail):
            # FastAPI's answer to a body that is not text at all (not UTF-8).
            return error_response(
                422,
                "invalid_input",
                "body: the body is not valid JSON (send UTF-8 JSON)",
                {"errors": [{"field": "body", "rule": "valid UTF-8 JSON", "in": "body"}]},
            )
        code = {404: "not_found", 405: "method_not_allowed", 401: "unauthorized"}.get(
            error.status_code, "http_error"
        )
        return error_response(error.status_code, code, str(error.detail))

    @app.exception_handler(Exception)
    async def on_bug(request: Request, error: Exception) -> JSONResponse:
        request_id = getattr(request.state, "request_id", "-")
        log.exception(
            "unhandled error in %s %s (request %s)", request.method, request.url.path, request_id
        )
        return error_response(
            500,
            "internal",
            f"something went wrong on our side; it was logged as request {request_id}",
        )


def _field_error(item: Any) -> dict[str, Any]:
    location = [str(part) for part in item.get("loc", ())]
    where = location[0] if location else "body"
    path = (
        ".".join(location[1:])
        if where in ("body", "query", "path", "header")
        else ".".join(location)
    )
    if item.get("type") == "json_invalid":
        return {
            "field": "body",
            "rule": f"the body is not valid JSON ({item.get('ctx', {}).get('error', 'bad syntax')})",
            "in": "body",
        }
    if item.get("type") == "extra_forbidden":
        return {"field": path, "rule": "unknown field", "in": where}
    return {"field": path or where, "rule": item.get("msg", "invalid"), "in": where}
