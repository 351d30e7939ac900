"""The content policy on an in-memory log: blocked terms found in Korean and English wherever
a creator wrote them (not inside other words), moderation flags, and a refused run recorded
as the decision alone, naming the field and why."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import pytest
from vp_contracts.events import story as e
from vp_contracts.ids import new_id
from vp_contracts.story import commands as c
from vp_contracts.values import ProviderCosts, StoryStatus
from vp_gateway.domain.policy import DEFAULT_TERMS, TermList, merged
from vp_gateway.service.policy import ContentBlocked, ContentPolicy
from vp_gateway.service.stories import RequestContext, Stories
from vp_runtime.eventstore import InMemoryStoryLog
from vp_runtime.web.auth import Principal

from tests.support.facts import Driver

ALICE = Principal("alice", "alice@example.com", "user")
TERMS = TermList(DEFAULT_TERMS)


def _ctx() -> RequestContext:
    return RequestContext(
        principal=ALICE, at=datetime(2026, 12, 3, tzinfo=UTC), request_id="r", command_id=new_id()
    )


@pytest.mark.parametrize(
    ("text", "term"),
    [
        ("피카츄가 숲속을 달린다", "피카츄"),  # a particle glued to the name
        ("미키 마우스와 친구들", "미키마우스"),  # a space inside it
        ("뽀로로, 크롱과 함께", "뽀로로"),
        ("A boy dressed as spider man", "Spider-Man"),
        ("SPIDERMAN swings by", "Spider-Man"),
        ("a Pokémon trainer", "Pokemon"),  # accents dropped
        ("수지가 Pikachu 인형을 안고", "Pikachu"),  # Latin letters in a Korean story
        ("ｐｉｋａｃｈｕ", "Pikachu"),  # full-width letters (NFKC)
    ],
)
def test_blocked_terms_are_found_however_they_are_written(text: str, term: str) -> None:
    found = TERMS.find([("description", text)])
    assert found is not None and found.term.term == term and found.field == "description"
    assert "protected character or brand" in found.reason


@pytest.mark.parametrize(
    "text",
    [
        "마블링이 고운 소고기",  # 마블 as a plain word
        "we marvel at the sea",
        "nikeless sneakers",  # not the word Nike
        "푸른 바다를 나는 갈매기",
        "a batmanlike cape",
    ],
)
def test_plain_words_are_not_taken_for_names(text: str) -> None:
    assert TERMS.find([("description", text)]) is None


def test_a_deployment_adds_its_own_terms_or_drops_the_defaults() -> None:
    own = TermList(merged(False, {"ko": ["비밀 프로젝트"]}))
    assert own.find([("title", "비밀프로젝트 소개")]) is not None
    assert own.find([("title", "피카츄")]) is None


class Flagging:
    """A moderation service that flags texts containing a word."""

    def __init__(self, word: str) -> None:
        self.word, self.calls = word, 0

    async def flagged(self, texts: Sequence[str]) -> list[list[str]]:
        self.calls += 1
        return [["violence"] if self.word in text else [] for text in texts]


async def _planned(log: InMemoryStoryLog, **spec: object) -> str:
    driver = Driver(log)
    story_id = await driver.created("alice", **spec)
    await driver.planned(story_id, scenes=3)
    return story_id


async def test_a_refused_preview_records_only_the_decision_naming_the_field() -> None:
    log = InMemoryStoryLog()
    story_id = await _planned(log, character_prompt="헬로키티 인형")
    stories = Stories(log, ProviderCosts, policy=ContentPolicy(TERMS))
    with pytest.raises(ContentBlocked) as refused:
        await stories.preview(_ctx(), story_id)
    assert refused.value.details["field"] == "character_prompt"
    assert "'헬로키티' is a protected character" in refused.value.message
    view = await log.view(story_id)
    assert view.status == StoryStatus.PLANNED  # the run did not start
    last = log.facts[-1].event
    assert isinstance(last, e.ContentChecked) and not last.allowed and last.run == "preview"
    assert view.content_check is not None and view.content_check.field == "character_prompt"
    assert not any(isinstance(f.event, e.PreviewRequested) for f in log.facts)


async def test_a_scene_s_narration_is_checked_and_moderation_flags_are_reasons() -> None:
    log = InMemoryStoryLog()
    story_id = await _planned(log)
    view = await log.view(story_id)
    scene = view.scenes[1]
    await Driver(log).run(
        c.UpdateScene(
            story_id=story_id, scene_id=scene.scene_id, changes={"narration": "그날의 폭력은"}
        )
    )
    moderation = Flagging("폭력")
    stories = Stories(log, ProviderCosts, policy=ContentPolicy(TERMS, moderation))
    with pytest.raises(ContentBlocked) as refused:
        await stories.preview(_ctx(), story_id)
    assert refused.value.details["field"] == "scenes[1].narration"
    assert "moderation service flagged it (violence)" in refused.value.details["reason"]
    assert refused.value.details["checks"] == ["blocked_terms", "moderation"]
    assert moderation.calls == 1  # every field of the run in one request


async def test_an_allowed_run_records_the_decision_with_it() -> None:
    log = InMemoryStoryLog()
    story_id = await _planned(log)
    stories = Stories(log, ProviderCosts, policy=ContentPolicy(TERMS, Flagging("nothing")))
    outcome = await stories.preview(_ctx(), story_id)
    kinds = [type(fact.event) for fact in outcome.events]
    assert kinds == [e.PreviewRequested, e.ContentChecked]
    checked = outcome.events[1].event
    assert isinstance(checked, e.ContentChecked) and checked.allowed
    assert checked.checks == ("blocked_terms", "moderation")
