"""What every StoryLog does, as checks run against each implementation: the in-memory log
(unit tests) and the JetStream store (integration tests). A fake that passes these behaves
as the real log does for the service layers that use it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from vp_contracts.events import story as e
from vp_contracts.ids import new_id
from vp_contracts.story import IllegalTransition
from vp_contracts.story import commands as c
from vp_contracts.values import StoryStatus
from vp_runtime.eventstore import DuplicateEventId, EventMeta, StoryLog, WrongExpectedVersion

from tests.support.stories import spec

Check = Callable[[StoryLog], Awaitable[None]]
CHECKS: list[Check] = []


def check(function: Check) -> Check:
    CHECKS.append(function)
    return function


def meta(command_id: str | None = None) -> EventMeta:
    return EventMeta(command_id=command_id or new_id(), at=datetime.now(UTC), actor="tests")


async def _created(log: StoryLog) -> str:
    story_id = new_id()
    await log.execute(c.CreateStory(story_id=story_id, owner_id="u1", spec=spec()), meta())
    return story_id


def _cost(story_id: str, amount: str = "0.01") -> e.CostRecorded:
    return e.CostRecorded(
        story_id=story_id,
        attempt_id="a",
        job_id="j",
        provider="p",
        operation="image",
        units=1,
        amount=Decimal(amount),
    )


@check
async def a_command_records_its_facts_and_folds_them(log: StoryLog) -> None:
    story_id = await _created(log)
    outcome = await log.execute(c.RecordFact(story_id=story_id, event=_cost(story_id)), meta())
    assert [type(r.event) for r in outcome.events] == [e.CostRecorded]
    assert outcome.view.actual_cost == Decimal("0.01")
    assert (await log.view(story_id)).version == outcome.version
    assert [type(r.event) for r in await log.load(story_id)] == [e.StoryCreated, e.CostRecorded]


@check
async def the_same_command_id_records_once(log: StoryLog) -> None:
    story_id = await _created(log)
    command = c.RecordFact(story_id=story_id, event=_cost(story_id))
    same = meta()
    first = await log.execute(command, same)
    again = await log.execute(command, same)
    assert first.events and not again.events and again.duplicate
    assert len(await log.load(story_id)) == 2


@check
async def a_refused_command_records_nothing(log: StoryLog) -> None:
    story_id = await _created(log)
    with pytest.raises(IllegalTransition):
        await log.execute(
            c.Transition(story_id=story_id, to=StoryStatus.COMPLETED, attempt_id=new_id()), meta()
        )
    assert len(await log.load(story_id)) == 1


@check
async def an_append_behind_the_story_is_refused(log: StoryLog) -> None:
    story_id = await _created(log)
    version = (await log.view(story_id)).version
    await log.append(story_id, [_cost(story_id)], expected_version=version, meta=meta())
    with pytest.raises(WrongExpectedVersion):
        await log.append(story_id, [_cost(story_id)], expected_version=version, meta=meta())


@check
async def a_reused_event_id_for_another_fact_is_an_error(log: StoryLog) -> None:
    story_id = await _created(log)
    reused = meta()
    version = (await log.view(story_id)).version
    await log.append(story_id, [_cost(story_id, "0.01")], expected_version=version, meta=reused)
    with pytest.raises(DuplicateEventId):
        await log.append(
            story_id, [_cost(story_id, "0.02")], expected_version=version + 1, meta=reused
        )


@check
async def replay_walks_every_story_in_log_order(log: StoryLog) -> None:
    start = await log.head()
    first, second = await _created(log), await _created(log)
    replayed = [r async for r in log.replay(after=start)]
    assert [r.envelope.story_id for r in replayed] == [first, second]
    assert [r.sequence for r in replayed] == sorted(r.sequence for r in replayed)
    assert await log.head() == replayed[-1].sequence
