"""Every edge of the state machine: allowed ones land where they should, the rest are refused."""

from __future__ import annotations

import itertools

import pytest
from vp_contracts.story import USER_TRANSITIONS, IllegalTransition, decide, fold
from vp_contracts.story import commands as c
from vp_contracts.story.status import SYSTEM_TRANSITIONS, TRANSITIONS
from vp_contracts.values import StoryStatus

from tests.support.stories import STORY, recorded, story_in

ALL = list(StoryStatus)
USER_EDGES = [(s, t) for s in ALL for t in sorted(USER_TRANSITIONS[s])]
REFUSED_EDGES = [(s, t) for s, t in itertools.product(ALL, ALL) if t not in USER_TRANSITIONS[s]]


def test_the_machine_is_the_union_of_both_documents_plus_cancel_edges() -> None:
    S = StoryStatus  # noqa: N806
    assert TRANSITIONS[S.DRAFT] == {S.PLANNING, S.ARCHIVED}
    assert TRANSITIONS[S.PLANNING] == {S.PLANNED, S.FAILED, S.DRAFT}
    assert TRANSITIONS[S.PLANNED] == {S.PREVIEWING, S.PLANNING}
    assert TRANSITIONS[S.PREVIEWING] == {S.PREVIEW_READY, S.FAILED, S.PLANNED}
    assert TRANSITIONS[S.PREVIEW_READY] == {S.RENDERING, S.PLANNED}
    assert TRANSITIONS[S.RENDERING] == {S.COMPLETED, S.FAILED, S.PREVIEW_READY}
    assert TRANSITIONS[S.COMPLETED] == {S.ARCHIVED}
    assert TRANSITIONS[S.FAILED] == {S.PLANNING, S.DRAFT}
    assert TRANSITIONS[S.ARCHIVED] == {S.DRAFT}


@pytest.mark.parametrize(("source", "target"), USER_EDGES, ids=lambda s: s.value)
def test_allowed_transition_lands_in_its_target(source: StoryStatus, target: StoryStatus) -> None:
    state = story_in(source)
    if (source, target) == (StoryStatus.PLANNING, StoryStatus.DRAFT):
        # a first plan cancelled goes back to draft; the fixture's story has no scenes yet
        assert not state.scenes

    events = decide(c.Transition(story_id=STORY, to=target, attempt_id="new-attempt"), state)

    assert events, "an allowed transition records a fact"
    after = fold(recorded(events, start=state.version + 1), state)
    assert after.status == target


@pytest.mark.parametrize(("source", "target"), REFUSED_EDGES, ids=lambda s: s.value)
def test_refused_transition_names_the_current_state_and_the_allowed_targets(
    source: StoryStatus, target: StoryStatus
) -> None:
    state = story_in(source)

    with pytest.raises(IllegalTransition) as refused:
        decide(c.Transition(story_id=STORY, to=target, attempt_id="new-attempt"), state)

    assert refused.value.details["current"] == source.value
    assert refused.value.details["allowed"] == sorted(t.value for t in USER_TRANSITIONS[source])


@pytest.mark.parametrize(("source", "target"), sorted(SYSTEM_TRANSITIONS), ids=lambda s: s.value)
def test_a_system_edge_says_it_happens_when_the_work_finishes(
    source: StoryStatus, target: StoryStatus
) -> None:
    with pytest.raises(IllegalTransition, match=r"when its .* work finishes"):
        decide(c.Transition(story_id=STORY, to=target, attempt_id="x"), story_in(source))


def test_cancelling_a_replan_keeps_the_previous_plan() -> None:
    planned = story_in(StoryStatus.PLANNED)
    replanning = fold(
        recorded(
            decide(c.RequestPlanning(story_id=STORY, attempt_id="plan-2"), planned),
            planned.version + 1,
        ),
        planned,
    )

    events = decide(
        c.Transition(story_id=STORY, to=StoryStatus.PLANNED, attempt_id="x"), replanning
    )
    after = fold(recorded(events, replanning.version + 1), replanning)

    assert after.status == StoryStatus.PLANNED
    assert after.scenes == planned.scenes
    with pytest.raises(IllegalTransition, match="keeps the existing plan"):
        decide(c.Transition(story_id=STORY, to=StoryStatus.DRAFT, attempt_id="x"), replanning)
