"""An OpenAI-compatible chat completions client (httpx): the planner's language model, the
generator's translator of image prompts, the gateway's prompt suggestions."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

import httpx

from vp_runtime.observability.metrics import API_CALLS
from vp_runtime.providers import http
from vp_runtime.providers.base import ProviderRejected
from vp_runtime.providers.config import ProviderConfig

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Answer:
    text: str
    tokens: int
    cost: Decimal
    request_id: str | None


class Chat(Protocol):
    """A language model answering chat messages (the port planner and translator use)."""

    name: str
    model: str

    async def complete(self, messages: list[dict[str, str]], json_object: bool = True) -> Answer:
        """The model's answer, with its tokens and cost."""
        ...

    def estimate(self, messages: list[dict[str, str]]) -> Decimal:
        """What a call may cost before it is made (charged to the budgets, then settled)."""
        ...

    async def close(self) -> None: ...


ANSWER_TOKENS = 2000
"""The longest answer an estimate counts (a plan of 86 scenes is about that)."""


class ChatClient:
    """An OpenAI-compatible chat completions API."""

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

    async def complete(self, messages: list[dict[str, str]], json_object: bool = True) -> Answer:
        body: dict[str, object] = {
            "model": self.model,
            "messages": messages,
            "temperature": float(self._config.setting("temperature", 0.3)),
        }
        if json_object:
            body["response_format"] = {"type": "json_object"}
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

    def estimate(self, messages: list[dict[str, str]]) -> Decimal:
        """The prompt at about four characters a token, and the longest answer."""
        prompt = sum(len(message.get("content", "")) for message in messages) // 4
        return self._config.cost_per_1k_tokens * Decimal(prompt + ANSWER_TOKENS) / 1000

    async def close(self) -> None:
        await self._http.aclose()


def chat_client(configs: list[ProviderConfig], name: str | None = None) -> ChatClient | None:
    """A client of the chat provider called ``name`` (else the first active ``openai`` one),
    or None when there is none or it has no key (a warning says what to set)."""
    for config in configs:
        if config.kind != "openai" or not config.is_active:
            continue
        if name is not None and config.name != name:
            continue
        try:
            return ChatClient(config)
        except ProviderRejected as error:
            log.warning("chat provider %s is not used: %s", config.name, error)
    return None
