"""The story log in memory: the same decide, fold and idempotency rules as the JetStream store,
no server. Unit tests of service layers run on it; it is not for production (one process, no
durability)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence

from vp_contracts.envelope import RecordedEvent
from vp_contracts.events.base import Event
from vp_contracts.ids import event_id
from vp_contracts.story.commands import Command
from vp_contracts.story.decider import decide
from vp_contracts.story.view import INITIAL, StoryView, evolve
from vp_contracts.subjects import check_token

from vp_runtime.eventstore.port import (
    Decide,
    DuplicateEventId,
    EventMeta,
    Outcome,
    WrongExpectedVersion,
    envelope_for,
)


class InMemoryStoryLog:
    def __init__(self, source: str = "/vp/memory") -> None:
        self._source = source
        self.facts: list[RecordedEvent[Event]] = []
        """Every fact of every story, in log order (sequence = index + 1)."""
        self._by_id: dict[str, RecordedEvent[Event]] = {}

    async def view(self, story_id: str) -> StoryView:
        check_token(story_id, "story id")
        state = INITIAL
        for recorded in await self.load(story_id):
            state = evolve(state, recorded)
        return state

    async def execute(
        self, command: Command, meta: EventMeta, decide_fn: Decide = decide
    ) -> Outcome:
        state = await self.view(command.story_id)
        if event_id(command.story_id, meta.command_id, 0) in self._by_id:
            return Outcome((), state, duplicate=True)
        events = decide_fn(command, state)
        if not events:
            return Outcome((), state)
        recorded = await self.append(
            command.story_id, events, expected_version=state.version, meta=meta
        )
        for fact in recorded:
            state = evolve(state, fact)
        return Outcome(recorded, state)

    async def append(
        self, story_id: str, events: Sequence[Event], *, expected_version: int, meta: EventMeta
    ) -> tuple[RecordedEvent[Event], ...]:
        envelopes = [
            envelope_for(story_id, event, index, meta, self._source)
            for index, event in enumerate(events)
        ]
        stored = [self._by_id[e.id] for e in envelopes if e.id in self._by_id]
        if stored:
            if [fact.event for fact in stored] != list(events[: len(stored)]):
                raise DuplicateEventId(f"event id {stored[0].envelope.id} holds another fact")
            return tuple(stored)
        if await self.last_sequence(story_id) != expected_version:
            raise WrongExpectedVersion(f"story {story_id} is past {expected_version}")
        recorded = []
        for envelope, event in zip(envelopes, events, strict=True):
            fact = RecordedEvent(envelope, event, len(self.facts) + 1)
            self.facts.append(fact)
            self._by_id[envelope.id] = fact
            recorded.append(fact)
        return tuple(recorded)

    async def load(self, story_id: str, after: int = 0) -> list[RecordedEvent[Event]]:
        return [f for f in self.facts[after:] if f.envelope.story_id == story_id]

    async def replay(
        self, after: int = 0, until: int | None = None
    ) -> AsyncIterator[RecordedEvent[Event]]:
        for fact in self.facts[after:until]:
            yield fact

    async def head(self) -> int:
        return len(self.facts)

    async def last_sequence(self, story_id: str) -> int:
        return max((f.sequence for f in self.facts if f.envelope.story_id == story_id), default=0)

    def events(self, story_id: str | None = None) -> list[Event]:
        """The facts recorded so far (of one story), for assertions."""
        return [f.event for f in self.facts if story_id in (None, f.envelope.story_id)]
