"""An OpenAI-compatible moderation API (``POST /v1/moderations``): one request per batch of
texts, one result per text in the same order."""

from __future__ import annotations

from collections.abc import Sequence

import httpx

from vp_gateway.service.policy import ModerationUnavailable

TRIES = 2


class OpenAIModeration:
    def __init__(self, base_url: str, api_key: str | None, model: str, timeout: float = 10) -> None:
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._http = httpx.AsyncClient(
            base_url=base_url.rstrip("/"), headers=headers, timeout=timeout
        )
        self._model = model

    async def flagged(self, texts: Sequence[str]) -> list[list[str]]:
        problem = ""
        for _ in range(TRIES):
            try:
                answer = await self._http.post(
                    "/v1/moderations", json={"model": self._model, "input": list(texts)}
                )
            except httpx.HTTPError as error:
                problem = f"{type(error).__name__}: {error}"
                continue
            if answer.status_code >= 500 or answer.status_code == 429:
                problem = f"HTTP {answer.status_code}"
                continue
            if answer.status_code != 200:
                raise ModerationUnavailable(
                    f"the moderation service refused the check (HTTP {answer.status_code}):"
                    " tell an operator"
                )
            results = answer.json().get("results", [])
            if len(results) != len(texts):
                raise ModerationUnavailable("the moderation service answered for other texts")
            return [
                sorted(name for name, hit in (r.get("categories") or {}).items() if hit)
                or ["flagged"]
                if r.get("flagged")
                else []
                for r in results
            ]
        raise ModerationUnavailable(
            f"the moderation service did not answer ({problem}): try again in a minute"
        )

    async def close(self) -> None:
        await self._http.aclose()
