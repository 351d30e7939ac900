"""One delivery of a message to a service, what a handler may raise about it, and how often
it is tried (how the outcome settles the message is :mod:`vp_runtime.messaging.settle`)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from faststream.nats import NatsMessage
from pydantic import BaseModel, ValidationError
from vp_contracts.envelope import RecordedEvent
from vp_contracts.events.base import Event
from vp_contracts.facts import UnreadableFact, read_fact

J = TypeVar("J", bound=BaseModel)


class TransientError(Exception):
    """Worth trying again later: a provider is down, a call timed out, a server is busy."""


class PoisonMessage(Exception):
    """Can never be processed: malformed, unknown type, or about something that cannot exist."""


@dataclass(frozen=True)
class RetryPolicy:
    """Three attempts, exponential backoff from 2 s (the planning documents' queue settings)."""

    attempts: int = 3
    first_delay: float = 2.0
    max_delay: float = 60.0

    def delay_after(self, attempt: int) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (1-based)."""
        return float(min(self.max_delay, self.first_delay * 2 ** min(attempt - 1, 30)))


DEFAULT_RETRIES = RetryPolicy()


@dataclass(frozen=True)
class Delivery:
    """One delivery of a message to this service."""

    message: NatsMessage
    attempt: int
    """1 for the first delivery; JetStream counts redeliveries."""

    @classmethod
    def of(cls, message: NatsMessage) -> Delivery:
        metadata = message.raw_message.metadata
        return cls(message=message, attempt=int(metadata.num_delivered))

    @property
    def subject(self) -> str:
        return self.message.raw_message.subject

    @property
    def stream_sequence(self) -> int:
        return int(self.message.raw_message.metadata.sequence.stream)

    def story_event(self) -> RecordedEvent[Event]:
        """The Story fact in this message; raises :class:`PoisonMessage` if it is not one."""
        raw = self.message.raw_message
        try:
            return read_fact(raw.headers, raw.data, self.stream_sequence)
        except UnreadableFact as error:
            raise PoisonMessage(f"not a valid story event: {error}") from error

    def job(self, model: type[J]) -> J:
        """The work-queue job in this message; raises :class:`PoisonMessage` if it is not one."""
        try:
            return model.model_validate_json(self.message.raw_message.data)
        except ValidationError as error:
            raise PoisonMessage(f"not a {model.__name__}: {error}") from error


Handler = Callable[[Delivery], Awaitable[None]]
OnRetry = Callable[[Delivery, BaseException, float], Awaitable[None]]
OnGiveUp = Callable[[Delivery, BaseException], Awaitable[None]]
OnDone = Callable[[str], Awaitable[None]]
"""Told the subject of a message that left its consumer (acked or terminated)."""
