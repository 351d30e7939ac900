"""Reading a fact from a message of the log: its CloudEvents headers and JSON body. Every
consumer (the stages, the projector, the notifier, other teams) reads facts with this."""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import ValidationError

from vp_contracts.envelope import Envelope, EnvelopeError, RecordedEvent
from vp_contracts.events.base import Event
from vp_contracts.events.registry import UnknownEventType, parse_event


class UnreadableFact(ValueError):
    """A message that is not a valid fact: bad envelope headers, unknown type, invalid body."""


def read_fact(
    headers: Mapping[str, str] | None, data: bytes, sequence: int
) -> RecordedEvent[Event]:
    """The fact at stream ``sequence`` (upcast to its newest version); :class:`UnreadableFact`
    if the message is not one."""
    try:
        envelope = Envelope.from_headers(dict(headers or {}))
        event = parse_event(envelope.type, data)
    except (EnvelopeError, UnknownEventType, ValidationError, ValueError) as error:
        raise UnreadableFact(str(error)) from error
    return RecordedEvent(envelope, event, sequence)
