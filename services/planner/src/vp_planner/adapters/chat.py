"""An OpenAI-compatible chat completions client (httpx)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import httpx
from vp_runtime.metrics import API_CALLS
from vp_runtime.providers import http
from vp_runtime.providers.base import ProviderRejected
from vp_runtime.providers.config import ProviderConfig


@dataclass(frozen=True)
class Answer:
    text: str
    tokens: int
    cost: Decimal
    request_id: str | None


class ChatClient:
    def __init__(self, config: ProviderConfig) -> None:
        key = config.api_key()
        if key is None:
            raise ProviderRejected(f"{config.name}: set {config.api_key_env or 'OPENAI_API_KEY'}")
        self.name = config.name
        self.model = str(config.setting("model", "gpt-4o-mini"))
        self._config = config
        self._http = httpx.AsyncClient(
            base_url=str(config.setting("base_url", "https://api.openai.com")),
            headers={"Authorization": f"Bearer {key.get_secret_value()}"},
            timeout=httpx.Timeout(float(config.setting("timeout", 60)), connect=10.0),
        )

    async def complete(self, messages: list[dict[str, str]]) -> Answer:
        body = {
            "model": self.model,
            "messages": messages,
            "temperature": float(self._config.setting("temperature", 0.3)),
            "response_format": {"type": "json_object"},
        }
        try:
            response = await http.send(
                self._http, "POST", "/v1/chat/completions", self.name, json=body
            )
        except Exception:
            API_CALLS.labels(self.name, "chat", "error").inc()
            raise
        API_CALLS.labels(self.name, "chat", "ok").inc()
        data = response.json()
        tokens = int((data.get("usage") or {}).get("total_tokens", 0))
        cost = self._config.cost_per_1k_tokens * Decimal(tokens) / 1000
        return Answer(
            str(data["choices"][0]["message"]["content"] or ""), tokens, cost, data.get("id")
        )

    async def close(self) -> None:
        await self._http.aclose()
