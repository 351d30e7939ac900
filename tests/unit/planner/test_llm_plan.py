from __future__ import annotations

import pytest
from vp_planner.domain.llm_plan import (
    PlanUnreadable,
    extract_json,
    fit_durations,
    read_plan,
    to_scenes,
)

from tests.support.stories import spec

PLAN = '{"scenes": [{"duration_seconds": 10, "background": "a cave", "action": "hides", "motion": "fast", "narration": "It hides."}, {"duration_seconds": 10, "background": "a hill", "action": "looks", "narration": "It looks."}]}'


@pytest.mark.parametrize(
    "answer",
    [
        PLAN,
        f"```json\n{PLAN}\n```",
        f"Sure! Here is the plan:\n```\n{PLAN}\n```\nEnjoy.",
        f"Here you go: {PLAN} Hope it helps",
        PLAN.replace("}]}", "},]}"),  # trailing comma
        PLAN.replace('"It hides."', "\u201cIt hides.\u201d"),  # smart quotes
        PLAN.replace('"', "'"),  # Python-style quotes
    ],
    ids=[
        "plain",
        "fenced",
        "fenced-with-prose",
        "prose",
        "trailing-comma",
        "smart-quotes",
        "single-quotes",
    ],
)
def test_slightly_broken_answers_are_repaired(answer: str) -> None:
    plan = read_plan(answer)
    assert [scene.action for scene in plan.scenes] == ["hides", "looks"]


@pytest.mark.parametrize(
    "answer", ["I cannot help with that.", "{not json at all", '{"scenes": []}', '{"steps": [1]}']
)
def test_answers_that_are_not_plans_are_refused(answer: str) -> None:
    with pytest.raises(PlanUnreadable):
        read_plan(answer)


def test_extract_prefers_the_fenced_block() -> None:
    assert extract_json('ignore {"a": 1} ```json {"b": 2}```') == {"b": 2}


def test_durations_are_fitted_to_the_story() -> None:
    fitted = fit_durations([10, 10], 21)
    assert sum(fitted) == 21 and all(1 <= d <= 60 for d in fitted)
    assert fit_durations([100], 90) == [60.0]


def test_a_plan_that_cannot_fill_the_story_is_refused() -> None:
    with pytest.raises(PlanUnreadable, match="cannot fill 90 s"):
        to_scenes(
            "s1", spec(duration_seconds=90), read_plan('{"scenes": [{"duration_seconds": 90}]}')
        )


def test_the_plan_keeps_the_storys_character_and_style() -> None:
    story = spec(duration_seconds=21, style="anime")
    scenes = to_scenes("s1", story, read_plan(PLAN))
    assert {s.prompt.character for s in scenes} == {story.character_prompt}
    assert {s.prompt.style.value for s in scenes} == {"anime"}
    assert sum(s.duration_seconds for s in scenes) == 21
    assert scenes[0].prompt.motion.value == "fast" and scenes[1].prompt.motion.value == "slow"
