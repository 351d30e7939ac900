from __future__ import annotations

import pytest
from vp_planner.domain.rules import plan_by_rules, spread

from tests.support.stories import spec


def test_scenes_are_seven_seconds_with_the_same_character_in_each() -> None:
    story = spec(duration_seconds=30, description="One. Two. Three. Four. Five.")
    scenes = plan_by_rules("s1", story)
    assert [s.duration_seconds for s in scenes] == [7, 7, 7, 7, 2]
    assert {s.prompt.character for s in scenes} == {story.character_prompt}
    assert [s.position for s in scenes] == [0, 1, 2, 3, 4]


def test_the_description_is_spread_over_the_scenes_in_order() -> None:
    story = spec(
        duration_seconds=21,
        description="A fox finds a lantern. It lights the forest. The owls gather.",
    )
    assert [s.narration for s in plan_by_rules("s1", story)] == [
        "A fox finds a lantern.",
        "It lights the forest.",
        "The owls gather.",
    ]


def test_long_descriptions_keep_every_sentence_once() -> None:
    lines = [f"Sentence number {i} is here." for i in range(10)]
    parts = spread(lines, [7, 7, 7])
    assert " ".join(parts) == " ".join(lines)
    assert all(parts)


def test_no_narration_when_the_story_has_it_off() -> None:
    assert {s.narration for s in plan_by_rules("s1", spec(narration=False))} == {""}


def test_planning_twice_gives_the_same_plan() -> None:
    story = spec(generation_params={"seed": 5})
    assert plan_by_rules("s1", story) == plan_by_rules("s1", story)
    assert plan_by_rules("s1", story) != plan_by_rules("s2", story)


@pytest.mark.parametrize("motion", ["slow", "fast"])
def test_the_story_can_choose_the_camera_motion(motion: str) -> None:
    scenes = plan_by_rules("s1", spec(generation_params={"motion": motion}))
    assert {s.prompt.motion.value for s in scenes} == {motion}


def test_korean_and_japanese_narration_is_split_and_spread_in_its_own_language() -> None:
    korean = spec(
        duration_seconds=14,
        title="여우와 등불",
        description="작은 여우가 안개 낀 숲에서 오래된 등불을 찾습니다. 등불이 밝게 빛나기 시작합니다.",
    )
    assert [s.narration for s in plan_by_rules("s1", korean)] == [
        "작은 여우가 안개 낀 숲에서 오래된 등불을 찾습니다.",
        "등불이 밝게 빛나기 시작합니다.",
    ]
    japanese = spec(
        duration_seconds=7, title="狐", description="狐が森を歩く。ランタンが光る。夜が来る。"
    )
    (only,) = plan_by_rules("s1", japanese)
    assert only.narration == "狐が森を歩く。ランタンが光る。夜が来る。"  # joined without spaces
