"""Folded views kept in process (least recently used first out), each with the ids of its
newest facts, so a retried command is recognised without a read."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field

from vp_contracts.envelope import RecordedEvent
from vp_contracts.events.base import Event
from vp_contracts.story.view import INITIAL, StoryView, evolve

RECENT_IDS = 256


@dataclass
class _Cached:
    view: StoryView
    recent_ids: dict[str, int] = field(default_factory=dict)


class ViewCache:
    def __init__(self, size: int) -> None:
        self._size = size
        self._views: OrderedDict[str, _Cached] = OrderedDict()

    def get(self, story_id: str) -> StoryView | None:
        cached = self._views.get(story_id)
        return cached.view if cached else None

    def recorded_ids(self, story_id: str) -> dict[str, int]:
        """Event id -> sequence of the story's newest facts seen here."""
        cached = self._views.get(story_id)
        return cached.recent_ids if cached else {}

    def remember(
        self, story_id: str, state: StoryView, newer: Sequence[RecordedEvent[Event]]
    ) -> StoryView:
        """``state`` evolved by the ``newer`` facts (those after it), kept for next time."""
        cached = self._views.pop(story_id, None) or _Cached(INITIAL)
        if cached.view.version != state.version:
            cached = _Cached(state)
        for recorded in newer:
            if recorded.sequence <= state.version:
                continue
            state = evolve(state, recorded)
            cached.recent_ids[recorded.envelope.id] = recorded.sequence
        cached.view = state
        while len(cached.recent_ids) > RECENT_IDS:
            cached.recent_ids.pop(next(iter(cached.recent_ids)))
        if state.exists:
            self._views[story_id] = cached
            while len(self._views) > self._size:
                self._views.popitem(last=False)
        return state
