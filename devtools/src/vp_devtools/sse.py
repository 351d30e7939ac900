"""A small Server-Sent Events client (what the demo and the tests use to follow a story)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx


@dataclass(frozen=True)
class ServerEvent:
    event: str
    data: Any
    id: int | None = None


async def follow(
    http: httpx.AsyncClient, url: str, last_event_id: int | None = None
) -> AsyncIterator[ServerEvent]:
    """Events from ``url`` until the server closes the stream; comments are skipped."""
    headers = {"Accept": "text/event-stream"}
    if last_event_id is not None:
        headers["Last-Event-ID"] = str(last_event_id)
    async with http.stream(
        "GET", url, headers=headers, timeout=httpx.Timeout(30, read=None)
    ) as answer:
        if answer.status_code != 200:
            await answer.aread()
            raise httpx.HTTPStatusError(
                f"{url} answered {answer.status_code}: {answer.text}",
                request=answer.request,
                response=answer,
            )
        event, data, event_id = "message", list[str](), None
        async for line in answer.aiter_lines():
            if line == "":
                if data:
                    yield ServerEvent(event, json.loads("\n".join(data)), event_id)
                event, data, event_id = "message", [], None
            elif line.startswith(":"):
                continue
            else:
                field, _, value = line.partition(":")
                value = value.removeprefix(" ")
                if field == "event":
                    event = value
                elif field == "data":
                    data.append(value)
                elif field == "id" and value.isdigit():
                    event_id = int(value)
