"""The per-user quota of stories in generation, on an in-memory log: a user at the limit is
refused with what to do, the story already running may go on, other users are not held."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import pytest
from vp_contracts.ids import new_id
from vp_contracts.story.errors import Refused
from vp_contracts.values import ProviderCosts, StoryStatus
from vp_gateway.service.stories import Quota, RequestContext, Stories, TooManyInGeneration
from vp_runtime.eventstore import InMemoryStoryLog
from vp_runtime.web.auth import Principal

from tests.support.facts import Driver

NOW = datetime(2026, 12, 1, tzinfo=UTC)
ALICE = Principal("alice", "alice@example.com", "user")
BOB = Principal("bob", "bob@example.com", "user")


class Active:
    """The read model's answer: the stories of each owner in generation."""

    def __init__(self, log: InMemoryStoryLog) -> None:
        self._log = log

    async def in_generation(self, owner_id: str) -> Sequence[str]:
        ids = {fact.event.story_id for fact in self._log.facts}
        views = [await self._log.view(story_id) for story_id in sorted(ids)]
        return [
            view.story_id
            for view in views
            if view.owner_id == owner_id
            and view.status in (StoryStatus.PLANNING, StoryStatus.PREVIEWING, StoryStatus.RENDERING)
        ]


def _ctx(principal: Principal) -> RequestContext:
    return RequestContext(principal=principal, at=NOW, request_id=new_id(), command_id=new_id())


async def _planned(log: InMemoryStoryLog, owner: Principal, count: int) -> list[str]:
    driver = Driver(log)
    ids = []
    for _ in range(count):
        story_id = await driver.created(owner.user_id)
        await driver.planned(story_id)
        ids.append(story_id)
    return ids


async def test_a_user_at_the_limit_is_refused_saying_what_to_do() -> None:
    log = InMemoryStoryLog()
    stories = Stories(log, ProviderCosts, Quota(2, Active(log)))
    first, second, third = await _planned(log, ALICE, 3)
    await stories.preview(_ctx(ALICE), first)
    await stories.preview(_ctx(ALICE), second)
    with pytest.raises(TooManyInGeneration) as refused:
        await stories.preview(_ctx(ALICE), third)
    assert "2 stories in generation (the limit is 2)" in refused.value.message
    assert "cancel one" in refused.value.message
    assert refused.value.details == {"in_generation": sorted([first, second]), "limit": 2}
    assert (await log.view(third)).status == StoryStatus.PLANNED  # nothing written


async def test_other_users_are_not_held_by_one_users_batch() -> None:
    log = InMemoryStoryLog()
    stories = Stories(log, ProviderCosts, Quota(1, Active(log)))
    (alice,) = await _planned(log, ALICE, 1)
    (bob,) = await _planned(log, BOB, 1)
    await stories.preview(_ctx(ALICE), alice)
    await stories.preview(_ctx(BOB), bob)
    assert (await log.view(bob)).status == StoryStatus.PREVIEWING


async def test_a_story_in_generation_does_not_count_against_itself() -> None:
    log = InMemoryStoryLog()
    stories = Stories(log, ProviderCosts, Quota(1, Active(log)))
    (story_id,) = await _planned(log, ALICE, 1)
    await stories.preview(_ctx(ALICE), story_id)
    scene_id = (await log.view(story_id)).scenes[0].scene_id
    # Regenerating one of its scenes while it previews is refused by the story's rules, not
    # by the quota: the quota only counts the user's other stories.
    with pytest.raises(Refused) as refused:
        await stories.generate_scene(_ctx(ALICE), story_id, scene_id, None)
    assert not isinstance(refused.value, TooManyInGeneration)
