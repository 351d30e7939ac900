"""The projector's policy on an in-memory read model: retry, park, keep flowing, replay."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

import pytest
from vp_contracts.envelope import RecordedEvent
from vp_contracts.events import story as e
from vp_contracts.events.base import Event
from vp_gateway.service.projection import (
    Applied,
    NotYet,
    Projector,
    ReadModelUnavailable,
)
from vp_runtime.messaging.batches import Batch, RetrySoon
from vp_runtime.messaging.delivery import TransientError

from tests.support.stories import recorded, spec


def created(story_id: str) -> e.StoryCreated:
    return e.StoryCreated(
        story_id=story_id, owner_id="owner", spec=spec(), cost_estimate=Decimal("0.1")
    )


class InMemoryReadModel:
    def __init__(self) -> None:
        self.applied: list[int] = []
        self.parked: dict[int, tuple[str, str]] = {}
        self.failing: set[str] = set()
        self.down = False
        self.position = 0
        self.batches = 0

    async def apply(self, fact: RecordedEvent[Event]) -> Applied:
        if self.down:
            raise ReadModelUnavailable("connection refused")
        if fact.sequence <= self.position:
            return "already"
        story = fact.event.story_id
        if any(parked_story == story for parked_story, _ in self.parked.values()):
            self.parked[fact.sequence] = (story, "waits")
            self.position = fact.sequence
            return "parked"
        if story in self.failing:
            raise ValueError("cannot apply")
        self.applied.append(fact.sequence)
        self.position = fact.sequence
        return "applied"

    async def apply_batch(
        self, facts: Sequence[RecordedEvent[Event]], first: int, last: int
    ) -> list[Applied]:
        if self.down:
            raise ReadModelUnavailable("connection refused")
        if first > self.position + 1:
            raise NotYet(f"facts before #{first} are not applied yet")
        if any(fact.event.story_id in self.failing for fact in facts):
            raise ValueError("cannot apply")  # all or nothing: none of the batch is applied
        outcomes = [await self.apply(fact) for fact in facts]
        self.batches += 1
        self.position = last
        return outcomes

    async def park(self, fact: RecordedEvent[Event], error: str) -> bool:
        self.parked[fact.sequence] = (fact.event.story_id, error)
        self.position = fact.sequence
        return True

    async def parked_count(self) -> int:
        return len(self.parked)

    async def parked_stories(self) -> Sequence[str]:
        return sorted({story for story, _ in self.parked.values()})

    async def reproject(self, story_id: str, facts: Sequence[RecordedEvent[Event]]) -> int:
        if story_id in self.failing:
            raise ValueError("still cannot apply")
        self.parked = {k: v for k, v in self.parked.items() if v[0] != story_id}
        return len(facts)


@pytest.fixture
def readmodel() -> InMemoryReadModel:
    return InMemoryReadModel()


def projector(
    readmodel: InMemoryReadModel, log: dict[str, list[RecordedEvent[Event]]]
) -> Projector:
    async def facts(story_id: str) -> list[RecordedEvent[Event]]:
        return log[story_id]

    async def observe(fact: RecordedEvent[Event]) -> None:
        return None

    return Projector(readmodel, facts, observe, describe=str)


async def test_a_failing_fact_is_retried_then_parked_and_the_others_flow(
    readmodel: InMemoryReadModel,
) -> None:
    bad, good = recorded([created("bad")], 1)[0], recorded([created("good")], 2)[0]
    readmodel.failing.add("bad")
    project = projector(readmodel, {})
    for attempt in (1, 2):
        with pytest.raises(ValueError, match="cannot apply"):
            await project.on_fact(bad, attempt)
    await project.on_fact(bad, 3)
    await project.on_fact(good, 1)
    assert readmodel.parked == {1: ("bad", "cannot apply")}
    assert readmodel.applied == [2]


async def test_a_database_that_is_down_is_waited_for_never_parked(
    readmodel: InMemoryReadModel,
) -> None:
    readmodel.down = True
    fact = recorded([created("story")])[0]
    for attempt in (1, 5, 50):
        with pytest.raises(TransientError, match="unavailable"):
            await projector(readmodel, {}).on_fact(fact, attempt)
    assert readmodel.parked == {}


async def test_a_replay_applies_the_story_once_its_cause_is_fixed(
    readmodel: InMemoryReadModel,
) -> None:
    fact = recorded([created("bad")])[0]
    readmodel.failing.add("bad")
    project = projector(readmodel, {"bad": [fact]})
    await project.on_fact(fact, 3)
    assert (await project.replay())[0].error == "still cannot apply"
    readmodel.failing.clear()
    replayed = await project.replay()
    assert [(r.story_id, r.applied, r.error) for r in replayed] == [("bad", 1, None)]
    assert readmodel.parked == {}


def batch(facts: list[RecordedEvent[Event]], attempt: int = 1) -> Batch:
    return Batch([(fact, attempt) for fact in facts], facts[0].sequence, facts[-1].sequence)


async def test_a_batch_is_applied_in_one_call(readmodel: InMemoryReadModel) -> None:
    facts = [recorded([created(f"s{n}")], n)[0] for n in range(1, 6)]
    await projector(readmodel, {}).on_facts(batch(facts))
    assert (readmodel.applied, readmodel.batches, readmodel.position) == ([1, 2, 3, 4, 5], 1, 5)


async def test_a_failing_fact_in_a_batch_is_found_parked_and_the_rest_applied(
    readmodel: InMemoryReadModel,
) -> None:
    facts = [recorded([created(name)], n)[0] for n, name in enumerate(("a", "bad", "c"), 1)]
    readmodel.failing.add("bad")
    project = projector(readmodel, {})
    for attempt in (1, 2):
        with pytest.raises(ValueError, match="cannot apply"):
            await project.on_facts(batch(facts, attempt))
    await project.on_facts(batch(facts, 3))
    assert readmodel.parked == {2: ("bad", "cannot apply")}
    assert readmodel.applied == [1, 3]


async def test_a_batch_never_overtakes_an_earlier_one(readmodel: InMemoryReadModel) -> None:
    """Two replicas fetched facts 1-2 and 3-4; the second may not commit first."""
    later = [recorded([created(f"s{n}")], n)[0] for n in (3, 4)]
    with pytest.raises(RetrySoon, match="not applied yet"):
        await projector(readmodel, {}).on_facts(batch(later))
    assert readmodel.applied == []


async def test_a_database_that_is_down_holds_the_batch(readmodel: InMemoryReadModel) -> None:
    readmodel.down = True
    facts = [recorded([created("s")], 1)[0]]
    with pytest.raises(TransientError, match="unavailable"):
        await projector(readmodel, {}).on_facts(batch(facts, 40))
    assert readmodel.parked == {}
