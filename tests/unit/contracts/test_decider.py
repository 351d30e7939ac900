"""Given facts, when a command, then facts (or a refusal)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from vp_contracts.events import jobs as j
from vp_contracts.events import story as e
from vp_contracts.story import INITIAL, InvalidInput, NotFound, Refused, decide, fold
from vp_contracts.story import commands as c
from vp_contracts.story.errors import AlreadyExists, WrongState
from vp_contracts.story.view import SceneStatus
from vp_contracts.values import JobKind, ProviderCosts, Stage, StoryStatus

from tests.support.stories import STORY, assets, given, history, media, recorded, spec, story_in

S = StoryStatus


def then(state, command):  # type: ignore[no-untyped-def]
    events = decide(command, state)
    return events, fold(recorded(events, state.version + 1), state)


def test_create_records_the_spec_and_an_estimate() -> None:
    costs = ProviderCosts(cost_per_image=Decimal("0.02"), cost_per_video_second=Decimal("0.05"))
    events, view = then(
        INITIAL, c.CreateStory(story_id=STORY, owner_id="u", spec=spec(), costs=costs)
    )

    assert [type(x) for x in events] == [e.StoryCreated]
    # 3 scenes x 0.02 + 21 s x 0.05 + half of that for the preview + 0.10 storage
    assert view.cost_estimate == Decimal("0.06") + Decimal("1.05") + Decimal("0.525") + Decimal(
        "0.10"
    )
    assert view.status == S.DRAFT and view.owner_id == "u"


def test_a_story_records_its_language_given_or_detected_from_its_text() -> None:
    korean = spec(title="여우와 등불", description="작은 여우가 등불을 찾습니다.")
    events, view = then(INITIAL, c.CreateStory(story_id=STORY, owner_id="u", spec=korean))
    assert isinstance(events[0], e.StoryCreated) and events[0].language == "ko"
    assert view.language == "ko" and view.spec is not None and view.spec.language is None

    chosen = spec(language="ja-jp")
    events, view = then(INITIAL, c.CreateStory(story_id=STORY, owner_id="u", spec=chosen))
    assert view.language == "ja-JP" and view.spec is not None and view.spec.language == "ja-JP"


def test_an_edit_to_the_text_detects_the_language_again_unless_one_was_chosen() -> None:
    draft = story_in(S.DRAFT)
    assert draft.language == "en"
    _, view = then(draft, c.UpdateStory(story_id=STORY, changes={"description": "狐が走る。"}))
    assert view.language == "ja"
    _, view = then(view, c.UpdateStory(story_id=STORY, changes={"language": "ko"}))
    _, view = then(view, c.UpdateStory(story_id=STORY, changes={"title": "The fox"}))
    assert view.language == "ko"
    with pytest.raises(InvalidInput, match="language"):
        decide(c.UpdateStory(story_id=STORY, changes={"language": "Klingon!"}), view)


def test_creating_an_existing_story_is_refused() -> None:
    with pytest.raises(AlreadyExists):
        decide(c.CreateStory(story_id=STORY, owner_id="u", spec=spec()), story_in(S.DRAFT))


def test_any_command_on_a_missing_story_is_not_found() -> None:
    with pytest.raises(NotFound):
        decide(c.Archive(story_id=STORY), INITIAL)


def test_update_records_only_the_changed_fields() -> None:
    events, view = then(
        story_in(S.DRAFT), c.UpdateStory(story_id=STORY, changes={"title": "New", "fps": 30})
    )

    assert isinstance(events[0], e.StoryUpdated)
    assert events[0].changed == ("title",)
    assert view.spec is not None and view.spec.title == "New"


def test_update_with_nothing_new_records_nothing() -> None:
    assert decide(c.UpdateStory(story_id=STORY, changes={"fps": 30}), story_in(S.DRAFT)) == []


@pytest.mark.parametrize(
    ("changes", "field", "rule"),
    [
        ({"duration_seconds": 0}, "duration_seconds", "greater than or equal to 1"),
        ({"duration_seconds": 601}, "duration_seconds", "less than or equal to 600"),
        ({"resolution": "8k"}, "resolution", "'480p', '720p', '1080p' or '4k'"),
        ({"fps": 29}, "fps", "24, 25, 30 or 60"),
        ({"style": "vaporwave"}, "style", "'realistic'"),
        ({"title": ""}, "title", "at least 1 character"),
        ({"character_prompt": "x" * 1001}, "character_prompt", "at most 1000 characters"),
        ({"colour": "red"}, "colour", "unknown field"),
        ({"generation_params": {"sed": 1}}, "generation_params.sed", "unknown field"),
    ],
)
def test_bad_input_is_refused_naming_the_field_and_rule(
    changes: dict[str, object], field: str, rule: str
) -> None:
    with pytest.raises(InvalidInput) as refused:
        decide(c.UpdateStory(story_id=STORY, changes=changes), story_in(S.DRAFT))

    errors = refused.value.details["errors"]
    assert errors[0]["field"] == field
    assert rule in errors[0]["rule"]


def test_generation_params_are_merged_not_replaced() -> None:
    state = given(*history(S.DRAFT))
    _, once = then(state, c.UpdateStory(story_id=STORY, changes={"generation_params": {"seed": 7}}))
    _, twice = then(
        once, c.UpdateStory(story_id=STORY, changes={"generation_params": {"voice": "amy"}})
    )

    assert twice.spec is not None
    assert (twice.spec.generation_params.seed, twice.spec.generation_params.voice) == (7, "amy")


@pytest.mark.parametrize("status", [S.PLANNING, S.PREVIEWING, S.RENDERING, S.COMPLETED, S.ARCHIVED])
def test_the_story_cannot_be_edited_while_work_runs_or_after_it_is_done(
    status: StoryStatus,
) -> None:
    with pytest.raises(WrongState) as refused:
        decide(c.UpdateStory(story_id=STORY, changes={"title": "x"}), story_in(status))
    assert refused.value.details["current"] == status.value


def test_editing_a_ready_preview_sets_the_preview_aside() -> None:
    _, view = then(
        story_in(S.PREVIEW_READY), c.UpdateStory(story_id=STORY, changes={"title": "Another"})
    )
    assert view.status == S.PLANNED


def test_plan_of_the_current_attempt_moves_to_planned_with_scenes_in_order() -> None:
    state = story_in(S.PLANNING)
    plan = given(*history(S.PLANNED)).scenes
    events, view = then(
        state,
        c.RecordPlan(
            story_id=STORY, attempt_id="plan-1", scenes=tuple(s.spec for s in plan), planner="rules"
        ),
    )

    assert isinstance(events[0], e.StoryPlanned)
    assert view.status == S.PLANNED
    assert [s.spec.position for s in view.scenes] == [0, 1, 2]
    assert view.duration_seconds == 21


def test_plan_of_a_stale_attempt_is_ignored() -> None:
    state = story_in(S.PLANNING)
    plan = tuple(s.spec for s in given(*history(S.PLANNED)).scenes)
    assert (
        decide(
            c.RecordPlan(story_id=STORY, attempt_id="plan-0", scenes=plan, planner="rules"), state
        )
        == []
    )


def test_render_of_stale_attempt_is_ignored() -> None:
    state = story_in(S.RENDERING)
    command = c.RecordRenderCompleted(
        story_id=STORY, attempt_id="render-0", media=media(), upscaled=False
    )
    assert decide(command, state) == []


def test_a_stale_fact_in_the_log_does_not_move_the_state() -> None:
    state = story_in(S.RENDERING)
    stale = e.RenderCompleted(story_id=STORY, attempt_id="render-0", media=media(), upscaled=False)

    after = fold(recorded([stale], state.version + 1), state)

    assert after.status == S.RENDERING
    assert after.final is None
    assert after.version == state.version + 1


def test_preview_runs_over_every_scene_at_480p() -> None:
    events, view = then(
        story_in(S.PLANNED), c.RequestPreview(story_id=STORY, attempt_id="preview-9")
    )

    request = events[0]
    assert isinstance(request, e.PreviewRequested)
    assert request.scene_ids == ("scene-0", "scene-1", "scene-2")
    assert (request.profile.width, request.profile.height, request.profile.fps) == (854, 480, 24)
    assert all(scene.status == SceneStatus.QUEUED for scene in view.scenes)


def test_final_render_uses_the_story_resolution_and_fps() -> None:
    events, _ = then(
        story_in(S.PREVIEW_READY), c.RequestRender(story_id=STORY, attempt_id="render-9")
    )
    request = events[0]
    assert isinstance(request, e.RenderRequested)
    assert (request.profile.width, request.profile.height, request.profile.fps) == (1920, 1080, 30)


def test_preview_is_ready_only_after_every_scene_of_the_attempt_has_assets() -> None:
    state = story_in(S.PREVIEWING)
    assert not state.scenes_ready()
    for scene in state.scenes:
        command = c.RecordSceneGenerated(
            story_id=STORY,
            attempt_id="preview-1",
            scene_id=scene.scene_id,
            assets=assets(),
            provider="offline",
            cost=Decimal("0.01"),
            cache_hit=False,
            generation_seconds=1.0,
        )
        _, state = then(state, command)
    assert state.scenes_ready()


def test_a_redelivered_scene_result_records_nothing() -> None:
    state = story_in(S.PREVIEWING)
    command = c.RecordSceneGenerated(
        story_id=STORY,
        attempt_id="preview-1",
        scene_id="scene-0",
        assets=assets(),
        provider="offline",
        cost=Decimal(0),
        cache_hit=True,
        generation_seconds=0.1,
    )
    _, state = then(state, command)
    assert decide(command, state) == []


def test_a_failed_scene_fails_the_story_with_the_reason() -> None:
    command = c.RecordSceneFailure(
        story_id=STORY,
        attempt_id="preview-1",
        scene_id="scene-1",
        code="provider_down",
        reason="no provider",
        attempts=3,
    )
    _, view = then(story_in(S.PREVIEWING), command)

    assert view.status == S.FAILED
    assert view.failure is not None
    assert (view.failure.stage, view.failure.scene_id, view.failure.reason) == (
        Stage.PREVIEW,
        "scene-1",
        "no provider",
    )


def test_cancelling_a_preview_returns_to_planned_and_later_results_are_ignored() -> None:
    _, view = then(story_in(S.PREVIEWING), c.Cancel(story_id=STORY))
    assert view.status == S.PLANNED
    assert all(scene.status == SceneStatus.PENDING for scene in view.scenes)

    late = c.RecordPreviewComposed(story_id=STORY, attempt_id="preview-1", media=media())
    assert decide(late, view) == []


def test_cancel_of_another_attempt_records_nothing() -> None:
    assert decide(c.Cancel(story_id=STORY, attempt_id="preview-0"), story_in(S.PREVIEWING)) == []


def test_cancel_when_nothing_runs_is_refused() -> None:
    with pytest.raises(WrongState):
        decide(c.Cancel(story_id=STORY), story_in(S.PLANNED))


def test_final_composed_keeps_rendering_until_the_upscaler_completes() -> None:
    _, view = then(
        story_in(S.RENDERING),
        c.RecordFinalComposed(story_id=STORY, attempt_id="render-1", media=media("m.mp4")),
    )
    assert view.status == S.RENDERING and view.master is not None
    _, done = then(
        view,
        c.RecordRenderCompleted(
            story_id=STORY, attempt_id="render-1", media=media("f.mp4"), upscaled=True
        ),
    )
    assert done.status == S.COMPLETED and done.final is not None and done.final.video_key == "f.mp4"


def test_bulk_created_scenes_go_last_with_prompts_from_the_story() -> None:
    new = (
        c.NewScene(
            scene_id="extra-1", fields={"narration": "The end.", "prompt": {"action": "bows"}}
        ),
        c.NewScene(scene_id="extra-2", fields={"duration_seconds": 3}),
    )
    events, view = then(story_in(S.PLANNED), c.CreateScenes(story_id=STORY, scenes=new))

    assert isinstance(events[0], e.ScenesCreated)
    assert [s.scene_id for s in view.scenes][-2:] == ["extra-1", "extra-2"]
    first = view.scenes[-2].spec
    assert first.position == 3 and first.prompt.action == "bows"
    assert first.prompt.character == spec().character_prompt


def test_bulk_create_names_the_bad_field_of_the_bad_scene() -> None:
    new = (
        c.NewScene(scene_id="a", fields={}),
        c.NewScene(scene_id="b", fields={"duration_seconds": 0.2}),
    )
    with pytest.raises(InvalidInput) as refused:
        decide(c.CreateScenes(story_id=STORY, scenes=new), story_in(S.PLANNED))
    assert refused.value.details["errors"][0]["field"] == "scenes.1.duration_seconds"


def test_scene_edit_clears_its_assets_and_sets_the_preview_aside() -> None:
    state = story_in(S.PREVIEW_READY)
    _, view = then(
        state,
        c.UpdateScene(story_id=STORY, scene_id="scene-1", changes={"prompt": {"action": "runs"}}),
    )

    scene = view.scene("scene-1")
    assert scene is not None and scene.assets is None and scene.spec.prompt.action == "runs"
    assert scene.spec.prompt.character == spec().character_prompt
    assert view.status == S.PLANNED
    assert view.scene("scene-0").assets is not None  # type: ignore[union-attr]


def test_moving_a_scene_renumbers_every_position() -> None:
    events, view = then(
        story_in(S.PLANNED), c.ReorderScene(story_id=STORY, scene_id="scene-2", position=0)
    )
    assert isinstance(events[0], e.ScenesReordered)
    assert [(s.scene_id, s.spec.position) for s in view.scenes] == [
        ("scene-2", 0),
        ("scene-0", 1),
        ("scene-1", 2),
    ]


def test_moving_a_scene_out_of_range_is_refused() -> None:
    with pytest.raises(InvalidInput, match="between 0 and 2"):
        decide(c.ReorderScene(story_id=STORY, scene_id="scene-2", position=3), story_in(S.PLANNED))


def test_unknown_scene_is_not_found() -> None:
    with pytest.raises(NotFound):
        decide(c.UpdateScene(story_id=STORY, scene_id="nope", changes={}), story_in(S.PLANNED))


def test_single_scene_generation_keeps_the_story_state_and_takes_only_its_job_results() -> None:
    _, view = then(
        story_in(S.PLANNED),
        c.RequestSceneGeneration(story_id=STORY, scene_id="scene-0", job_id="job-1", seed=42),
    )
    assert view.status == S.PLANNED and view.scene("scene-0").status == SceneStatus.QUEUED  # type: ignore[union-attr]

    wrong = c.RecordSceneGenerated(
        story_id=STORY,
        attempt_id="job-0",
        scene_id="scene-0",
        assets=assets(),
        provider="offline",
        cost=Decimal(0),
        cache_hit=False,
        generation_seconds=1,
    )
    assert decide(wrong, view) == []
    right = c.RecordSceneGenerated(
        story_id=STORY,
        attempt_id="job-1",
        scene_id="scene-0",
        assets=assets(),
        provider="offline",
        cost=Decimal(0),
        cache_hit=False,
        generation_seconds=1,
    )
    _, done = then(view, right)
    assert done.scene("scene-0").status == SceneStatus.GENERATED  # type: ignore[union-attr]
    assert done.status == S.PLANNED


def test_costs_add_up_to_the_actual_cost() -> None:
    state = story_in(S.PREVIEWING)
    for amount in ("0.02", "0.05", "0"):
        cost = e.CostRecorded(
            story_id=STORY,
            attempt_id="preview-1",
            job_id="j",
            provider="stability",
            operation="image",
            units=1,
            amount=Decimal(amount),
        )
        _, state = then(state, c.RecordFact(story_id=STORY, event=cost))
    assert state.actual_cost == Decimal("0.07")


def test_job_started_marks_the_job_and_the_scene() -> None:
    fact = j.JobStarted(
        story_id=STORY,
        job_id="job-x",
        kind=JobKind.SCENE,
        attempt_id="preview-1",
        scene_id="scene-0",
        worker="generator@host",
        attempt=1,
    )
    _, view = then(story_in(S.PREVIEWING), c.RecordFact(story_id=STORY, event=fact))
    assert view.attempt is not None and "job-x" in view.attempt.started_jobs
    assert view.scene("scene-0").status == SceneStatus.GENERATING  # type: ignore[union-attr]


def test_facts_with_rules_cannot_be_recorded_as_plain_facts() -> None:
    with pytest.raises(TypeError):
        decide(
            c.RecordFact(story_id=STORY, event=e.StoryArchived(story_id=STORY)), story_in(S.DRAFT)
        )


def test_every_refusal_carries_a_code_and_message() -> None:
    with pytest.raises(Refused) as refused:
        decide(c.RequestRender(story_id=STORY, attempt_id="r"), story_in(S.DRAFT))
    assert refused.value.code == "illegal_transition"
    assert "cannot render the final video: the story is draft" in refused.value.message


def _compose_start(attempt: int = 1) -> j.JobStarted:
    return j.JobStarted(
        story_id=STORY,
        job_id="compose-1",
        kind=JobKind.COMPOSE,
        attempt_id="preview-1",
        worker="w",
        attempt=attempt,
    )


def test_a_stage_job_is_claimed_once_unless_taken_over() -> None:
    events, view = then(
        story_in(S.PREVIEWING), c.ClaimJob(story_id=STORY, started=_compose_start())
    )
    assert events == [_compose_start()]
    assert decide(c.ClaimJob(story_id=STORY, started=_compose_start()), view) == []
    assert decide(c.ClaimJob(story_id=STORY, started=_compose_start(2), takeover=True), view) == [
        _compose_start(2)
    ]


def test_a_stage_job_of_a_stale_attempt_is_not_claimed() -> None:
    assert (
        decide(c.ClaimJob(story_id=STORY, started=_compose_start()), story_in(S.PREVIEW_READY))
        == []
    )


def test_an_attempt_remembers_when_it_was_requested() -> None:
    facts = recorded(history(StoryStatus.PREVIEWING))
    requested = next(f for f in facts if isinstance(f.event, e.PreviewRequested))
    view = fold(facts)
    assert view.attempt is not None and view.attempt.stage == Stage.PREVIEW
    assert view.attempt.requested_at == requested.time  # later facts of the attempt keep it


def test_a_finished_video_can_be_rated_and_the_latest_rating_counts() -> None:
    done = story_in(S.COMPLETED)
    events, view = then(done, c.GiveFeedback(story_id=STORY, rating=4, comment=" 좋아요 "))
    assert events == [e.FeedbackGiven(story_id=STORY, rating=4, comment="좋아요")]
    _, view = then(view, c.GiveFeedback(story_id=STORY, rating=5))
    assert view.feedback is not None and view.feedback.rating == 5


@pytest.mark.parametrize("rating", [0, 6])
def test_a_rating_outside_one_to_five_is_refused(rating: int) -> None:
    with pytest.raises(InvalidInput, match="rating"):
        decide(c.GiveFeedback(story_id=STORY, rating=rating), story_in(S.COMPLETED))


def test_only_a_finished_video_can_be_rated() -> None:
    with pytest.raises(WrongState):
        decide(c.GiveFeedback(story_id=STORY, rating=5), story_in(S.PLANNED))


def test_every_command_has_a_handler() -> None:
    from vp_contracts.story.decider.registry import HANDLERS

    commands = {
        value
        for value in vars(c).values()
        if isinstance(value, type) and issubclass(value, c.Command) and value is not c.Command
    }
    assert commands == set(HANDLERS)
