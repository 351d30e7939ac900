"""In-memory stand-ins for the ports the service layers use, beside the runtime's own
(InMemoryStoryLog, InMemoryStorage): progress, a language model."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from vp_runtime.eventstore import InMemoryStoryLog
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
    ) -> None:
        self.ticks.append(Tick(story_id, attempt_id, stage, percent, message, job_id))

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

    async def close(self) -> None:
        return None
