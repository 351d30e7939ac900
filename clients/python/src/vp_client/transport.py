"""What every generated method goes through: one HTTP call with the caller's token, the API's
error format turned into :class:`ApiError`, and the answer parsed as the schema declares."""

from __future__ import annotations

from collections.abc import Mapping
from types import TracebackType
from typing import Any, Self, TypeVar

import httpx
from pydantic import BaseModel

ModelT = TypeVar("ModelT", bound=BaseModel)

Params = Mapping[str, Any]


class ApiError(Exception):
    """An answer outside 2xx: ``status``, and the body's ``code``, ``message`` and ``details``
    (``{"error": {...}}``, the API's one error format)."""

    def __init__(self, status: int, code: str, message: str, details: dict[str, Any]) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.details = details

    @classmethod
    def of(cls, response: httpx.Response) -> ApiError:
        try:
            error = response.json()["error"]
            return cls(response.status_code, error["code"], error["message"], error["details"])
        except (ValueError, KeyError, TypeError):
            return cls(response.status_code, "http_error", response.text[:500], {})


class Transport:
    """An ``httpx.AsyncClient`` bound to one gateway and, optionally, one bearer token (an
    access token from :meth:`log_in` or an API key)."""

    def __init__(
        self,
        base_url: str,
        token: str | None = None,
        *,
        timeout: float = 60,
        http: httpx.AsyncClient | None = None,
    ) -> None:
        self.http = http or httpx.AsyncClient(base_url=base_url, timeout=timeout)
        self.token = token

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self.http.aclose()

    async def call(
        self,
        method: str,
        path: str,
        *,
        params: Params | None = None,
        headers: Params | None = None,
        json: BaseModel | Mapping[str, Any] | None = None,
        content: bytes | None = None,
    ) -> httpx.Response:
        """The answer to one request (``None`` parameters and headers are left out); a status
        outside 2xx raises :class:`ApiError`."""
        sent = {name: str(value) for name, value in (headers or {}).items() if value is not None}
        if self.token:
            sent["Authorization"] = f"Bearer {self.token}"
        body = (
            json.model_dump(mode="json", exclude_unset=True)
            if isinstance(json, BaseModel)
            else json
        )
        response = await self.http.request(
            method,
            path,
            params={name: value for name, value in (params or {}).items() if value is not None},
            headers=sent,
            json=body,
            content=content,
        )
        if response.is_error:
            raise ApiError.of(response)
        return response

    async def download(self, url: str) -> bytes:
        """The bytes behind a link the API gave (a preview, a final, an export)."""
        response = await self.http.get(url)
        if response.is_error:
            raise ApiError.of(response)
        return response.content


def parse(model: type[ModelT], response: httpx.Response) -> ModelT:
    return model.model_validate(response.json())


def parse_list(model: type[ModelT], response: httpx.Response) -> list[ModelT]:
    return [model.model_validate(item) for item in response.json()]


def text_or_model(model: type[ModelT], response: httpx.Response) -> ModelT | str:
    """An answer that is JSON or text (e.g. CSV), by its content type."""
    if response.headers.get("content-type", "").startswith("application/json"):
        return parse(model, response)
    return response.text
