"""The story log as the services see it (:class:`StoryLog`): fold a story, execute a command
against it, read its facts. The JetStream store implements it; so does the in-memory log that
unit tests use."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from vp_contracts.envelope import Envelope, RecordedEvent
from vp_contracts.events.base import Event
from vp_contracts.ids import event_id
from vp_contracts.story.commands import Command
from vp_contracts.story.decider import decide
from vp_contracts.story.view import StoryView

Decide = Callable[[Command, StoryView], list[Event]]


class WrongExpectedVersion(Exception):
    """Someone appended to the story since it was loaded."""


class ConcurrencyError(RuntimeError):
    """The story kept changing under us; gave up after the bounded retries."""


class CorruptEvent(RuntimeError):
    """A stored message is not a valid event of a known type."""


class AppendError(RuntimeError):
    """The server refused an append for a reason other than a conflict."""


class DuplicateEventId(AppendError):
    """The server already holds another fact under this event id, so ours was not stored.

    Event ids derive from the story and the command, so this means a command id was reused
    for a different command: a bug of the caller, never a success.
    """


@dataclass(frozen=True)
class EventMeta:
    """Who and what caused the facts; event ids derive from ``command_id``."""

    command_id: str
    at: datetime
    actor: str | None = None
    correlation_id: str | None = None
    causation_id: str | None = None


@dataclass(frozen=True)
class Outcome:
    """What a command did: the facts it recorded and the story after them."""

    events: tuple[RecordedEvent[Event], ...]
    view: StoryView
    duplicate: bool = False

    @property
    def version(self) -> int:
        return self.view.version


def envelope_for(story_id: str, event: Event, index: int, meta: EventMeta, source: str) -> Envelope:
    """The envelope of the ``index``-th fact a command records: its id derives from the story
    and the command, so a retried command records the same ids."""
    if event.story_id != story_id:
        raise ValueError(f"event for story {event.story_id} appended to story {story_id}")
    return Envelope(
        id=event_id(story_id, meta.command_id, index),
        type=event.ce_type(),
        source=source,
        time=meta.at,
        story_id=story_id,
        actor=meta.actor,
        correlation_id=meta.correlation_id or meta.command_id,
        causation_id=meta.causation_id or meta.command_id,
    )


class StoryLog(Protocol):
    """Every Story's facts in order; a story's state is the fold of its facts."""

    async def view(self, story_id: str) -> StoryView:
        """The story folded up to its newest fact (``INITIAL`` if it has none)."""
        ...

    async def execute(
        self, command: Command, meta: EventMeta, decide_fn: Decide = decide
    ) -> Outcome:
        """Fold, decide, append; the same ``meta.command_id`` records its facts once."""
        ...

    async def append(
        self, story_id: str, events: Sequence[Event], *, expected_version: int, meta: EventMeta
    ) -> tuple[RecordedEvent[Event], ...]:
        """Append if the story is still at ``expected_version`` (else WrongExpectedVersion)."""
        ...

    async def load(self, story_id: str, after: int = 0) -> list[RecordedEvent[Event]]:
        """The story's facts with a log sequence above ``after``, oldest first."""
        ...

    def replay(
        self, after: int = 0, until: int | None = None
    ) -> AsyncIterator[RecordedEvent[Event]]:
        """Every story's facts in log order (for rebuilding projections)."""
        ...

    async def head(self) -> int:
        """Sequence of the newest fact of any story."""
        ...
