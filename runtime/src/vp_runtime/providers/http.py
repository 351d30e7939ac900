"""HTTP to providers: one client per provider, and status codes turned into provider errors."""

from __future__ import annotations

import base64
from collections.abc import Callable
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from vp_runtime.providers.base import (
    ContentRefused,
    ProviderRejected,
    ProviderUnavailable,
    RateLimited,
)

TIMEOUT = httpx.Timeout(60.0, connect=10.0)


def client(base_url: str, headers: dict[str, str]) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=base_url, headers=headers, timeout=TIMEOUT)


async def send(
    http: httpx.AsyncClient,
    method: str,
    url: str,
    provider: str,
    refused: Callable[[httpx.Response], bool] = lambda response: False,
    **options: Any,
) -> httpx.Response:
    """Send and check; raises the provider error that the answer means."""
    try:
        response = await http.request(method, url, **options)
    except httpx.TimeoutException as error:
        raise ProviderUnavailable(f"{provider} timed out ({type(error).__name__})") from error
    except httpx.TransportError as error:
        raise ProviderUnavailable(
            f"{provider} unreachable ({type(error).__name__}: {error})"
        ) from error
    if response.is_success:
        return response
    detail = response.text[:300]
    if response.status_code == 429:
        raise RateLimited(f"{provider} answered 429: {detail}", retry_after=retry_after(response))
    if response.status_code >= 500 or response.status_code == 408:
        raise ProviderUnavailable(f"{provider} answered {response.status_code}: {detail}")
    if refused(response):
        raise ContentRefused(f"{provider} refused the content: {detail}")
    raise ProviderRejected(f"{provider} answered {response.status_code}: {detail}")


def retry_after(response: httpx.Response) -> float | None:
    """Seconds from a ``Retry-After`` header (delta seconds or an HTTP date)."""
    value = response.headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        from datetime import UTC, datetime

        return max(0.0, (parsedate_to_datetime(value) - datetime.now(UTC)).total_seconds())
    except (TypeError, ValueError):
        return None


def data_uri(data: bytes, content_type: str) -> str:
    return f"data:{content_type};base64,{base64.b64encode(data).decode()}"
