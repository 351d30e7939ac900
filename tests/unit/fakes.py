"""In-memory stand-ins for the ports the service layers use, beside the runtime's own
(InMemoryStoryLog, InMemoryStorage): progress, a language model."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal

from vp_gateway.service.credentials import ApiKey, RefreshToken
from vp_runtime.eventstore import InMemoryStoryLog
from vp_runtime.messaging.progress import Playable
from vp_runtime.providers.base import ProviderError
from vp_runtime.providers.chat import Answer
from vp_runtime.stage import Worker


@dataclass(frozen=True)
class Tick:
    story_id: str
    attempt_id: str
    stage: str
    percent: float
    message: str
    job_id: str | None
    playable: Playable | None = None


@dataclass
class RecordingProgress:
    ticks: list[Tick] = field(default_factory=list)

    async def tick(
        self,
        story_id: str,
        attempt_id: str,
        stage: str,
        percent: float,
        message: str,
        job_id: str | None = None,
        playable: Playable | None = None,
    ) -> None:
        self.ticks.append(Tick(story_id, attempt_id, stage, percent, message, job_id, playable))

    def percents(self) -> list[float]:
        return [tick.percent for tick in self.ticks]


def worker(service: str, log: InMemoryStoryLog | None = None) -> Worker:
    """A stage worker on an in-memory log, recording its progress ticks."""
    return Worker(log or InMemoryStoryLog(), RecordingProgress(), service, f"{service}@test:1")


@dataclass
class ScriptedChat:
    """A language model that answers from a script: a string is an answer, an exception is
    raised. It records the conversations it was sent."""

    script: Sequence[str | ProviderError]
    name: str = "openai"
    model: str = "gpt-test"
    sent: list[list[dict[str, str]]] = field(default_factory=list)

    async def complete(self, messages: list[dict[str, str]], json_object: bool = True) -> Answer:
        self.sent.append(list(messages))
        step = self.script[min(len(self.sent), len(self.script)) - 1]
        if isinstance(step, ProviderError):
            raise step
        return Answer(step, tokens=100, cost=Decimal("0.0002"), request_id=f"r{len(self.sent)}")

    def estimate(self, messages: list[dict[str, str]]) -> Decimal:
        return Decimal("0.0005")

    async def close(self) -> None:
        return None


@dataclass
class MemoryCredentials:
    """The gateway's credential store in memory."""

    api_keys: dict[str, ApiKey]
    tokens: dict[str, RefreshToken]

    @classmethod
    def empty(cls) -> MemoryCredentials:
        return cls({}, {})

    async def add_key(self, key: ApiKey) -> None:
        self.api_keys[key.id] = key

    async def key(self, key_id: str) -> ApiKey | None:
        return self.api_keys.get(key_id)

    async def keys_of(self, user_id: str) -> list[ApiKey]:
        return [k for k in self.api_keys.values() if k.user_id == user_id]

    async def revoke_key(self, key_id: str, user_id: str, at: datetime) -> bool:
        key = self.api_keys.get(key_id)
        if key is None or key.user_id != user_id:
            return False
        self.api_keys[key_id] = replace(key, revoked_at=key.revoked_at or at)
        return True

    async def key_used(self, key_id: str, at: datetime) -> None:
        self.api_keys[key_id] = replace(self.api_keys[key_id], last_used_at=at)

    async def add_refresh(self, token: RefreshToken) -> None:
        self.tokens[token.id] = token

    async def refresh(self, token_id: str) -> RefreshToken | None:
        return self.tokens.get(token_id)

    async def use_refresh(self, token_id: str, at: datetime) -> bool:
        token = self.tokens[token_id]
        if token.used_at is not None or token.revoked_at is not None:
            return False
        self.tokens[token_id] = replace(token, used_at=at)
        return True

    async def revoke_family(self, family_id: str, at: datetime) -> None:
        for token_id, token in self.tokens.items():
            if token.family_id == family_id and token.revoked_at is None:
                self.tokens[token_id] = replace(token, revoked_at=at)
