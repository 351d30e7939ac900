"""CloudEvents 1.0 envelope in NATS headers (binary content mode).

The body of a message is the JSON of the event model; the attributes travel as ``ce-*``
headers so routers and other teams can read them without parsing the body.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Generic, TypeVar

from vp_contracts.events.base import Event

SPEC_VERSION = "1.0"
CONTENT_TYPE = "application/json"


_REQUIRED = ("ce-id", "ce-type", "ce-source", "ce-time", "ce-subject")


class EnvelopeError(ValueError):
    """A message lacks a required CloudEvents attribute or has a malformed one."""


def _rfc3339(moment: datetime) -> str:
    if moment.utcoffset():
        moment = moment.astimezone(UTC)
    return moment.replace(tzinfo=None).isoformat() + "Z"


@dataclass(frozen=True, slots=True)
class Envelope:
    """CloudEvents attributes of one stored fact.

    A plain dataclass rather than a pydantic model: a story replay builds one per fact, and
    the attributes are checked where they come in (:meth:`from_headers`).
    """

    id: str
    """Event id; also the Nats-Msg-Id (dedupe)."""
    type: str
    """Event type with major version, e.g. vp.story.planned.v1."""
    source: str
    """Producer, e.g. /vp/gateway."""
    time: datetime
    """When the fact happened (aware, UTC)."""
    story_id: str
    """The story (the CloudEvents subject)."""
    actor: str | None = None
    """User or service that caused the fact."""
    correlation_id: str | None = None
    """Id shared by everything one request caused."""
    causation_id: str | None = None
    """Id of the command or event that caused this one."""

    def __post_init__(self) -> None:
        if self.time.tzinfo is None:
            raise EnvelopeError("envelope time must be timezone-aware")

    def headers(self) -> dict[str, str]:
        """The ``ce-*`` headers (and content type) of this envelope."""
        headers = {
            "ce-specversion": SPEC_VERSION,
            "ce-id": self.id,
            "ce-type": self.type,
            "ce-source": self.source,
            "ce-time": _rfc3339(self.time),
            "ce-subject": self.story_id,
            "content-type": CONTENT_TYPE,
        }
        if self.actor:
            headers["ce-actor"] = self.actor
        if self.correlation_id:
            headers["ce-correlationid"] = self.correlation_id
        if self.causation_id:
            headers["ce-causationid"] = self.causation_id
        return headers

    @classmethod
    def from_headers(cls, headers: Mapping[str, str] | None) -> Envelope:
        """Read the envelope back from NATS headers; raises :class:`EnvelopeError`."""
        headers = headers or {}
        missing = [key for key in _REQUIRED if not headers.get(key)]
        if missing:
            raise EnvelopeError(f"message lacks CloudEvents headers: {', '.join(missing)}")
        if headers.get("ce-specversion", SPEC_VERSION) != SPEC_VERSION:
            raise EnvelopeError(
                f"unsupported CloudEvents specversion {headers['ce-specversion']!r}"
            )
        try:
            time = datetime.fromisoformat(headers["ce-time"].replace("Z", "+00:00"))
        except ValueError as error:
            raise EnvelopeError(f"bad ce-time {headers['ce-time']!r}") from error
        return cls(
            id=headers["ce-id"],
            type=headers["ce-type"],
            source=headers["ce-source"],
            time=time,
            story_id=headers["ce-subject"],
            actor=headers.get("ce-actor"),
            correlation_id=headers.get("ce-correlationid"),
            causation_id=headers.get("ce-causationid"),
        )


E = TypeVar("E", bound=Event, covariant=True)


@dataclass(frozen=True)
class RecordedEvent(Generic[E]):
    """A fact as stored: its envelope, its body and its position in the log."""

    envelope: Envelope
    event: E
    sequence: int
    """Stream sequence; orders facts within a story and versions the story."""

    @property
    def time(self) -> datetime:
        return self.envelope.time
