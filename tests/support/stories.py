"""Builders for Story facts: a story in any state, as the log would hold it."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from vp_contracts.envelope import Envelope, RecordedEvent
from vp_contracts.events import story as e
from vp_contracts.events.base import Event
from vp_contracts.ids import event_id
from vp_contracts.story import StoryView, fold
from vp_contracts.story.rules import final_profile, preview_profile, split_duration
from vp_contracts.values import (
    MediaOutput,
    SceneAssets,
    ScenePrompt,
    SceneSpec,
    StorySpec,
    StoryStatus,
)

STORY = "story-1"
OWNER = "user-1"
T0 = datetime(2026, 1, 1, tzinfo=UTC)


def spec(**changes: object) -> StorySpec:
    data: dict[str, object] = {
        "title": "The fox and the lantern",
        "description": "A fox finds a lantern. It lights the forest. The owls gather.",
        "character_prompt": "a small red fox with a blue scarf",
        "background_prompt": "a misty pine forest at dusk",
        "action_prompt": "walks carefully, looking around",
        "duration_seconds": 21,
    }
    data.update(changes)
    return StorySpec.model_validate(data)


def recorded(events: Iterable[Event], start: int = 1) -> list[RecordedEvent[Event]]:
    """Wrap events as the store would: envelopes, consecutive sequences, one second apart."""
    out = []
    for offset, event in enumerate(events):
        envelope = Envelope(
            id=event_id(event.story_id, f"cmd-{start + offset}", 0),
            type=event.ce_type(),
            source="/tests",
            time=T0 + timedelta(seconds=start + offset),
            story_id=event.story_id,
        )
        out.append(RecordedEvent(envelope, event, start + offset))
    return out


def given(*events: Event) -> StoryView:
    return fold(recorded(events))


def scenes(story_spec: StorySpec | None = None) -> tuple[SceneSpec, ...]:
    story_spec = story_spec or spec()
    return tuple(
        SceneSpec(
            scene_id=f"scene-{index}",
            position=index,
            duration_seconds=length,
            prompt=ScenePrompt(
                character=story_spec.character_prompt,
                background=story_spec.background_prompt,
                action=story_spec.action_prompt,
            ),
            narration=f"line {index}",
            seed=index,
        )
        for index, length in enumerate(split_duration(story_spec.duration_seconds))
    )


def assets() -> SceneAssets:
    return SceneAssets(background_key="bg.png", character_key="char.png", width=854, height=480)


def media(key: str = "video.mp4") -> MediaOutput:
    return MediaOutput(
        video_key=key,
        thumbnail_key="thumb.jpg",
        duration_seconds=21,
        width=854,
        height=480,
        fps=24,
        size_bytes=1,
    )


def generated(attempt: str, scene_list: Sequence[SceneSpec]) -> list[Event]:
    return [
        e.SceneGenerated(
            story_id=STORY,
            attempt_id=attempt,
            scene_id=scene.scene_id,
            assets=assets(),
            provider="offline",
            cost=Decimal(0),
            generation_seconds=0.5,
        )
        for scene in scene_list
    ]


def history(status: StoryStatus) -> list[Event]:
    """Facts that bring a story to ``status``. Attempts: plan-1, preview-1, render-1."""
    s = spec()
    plan = scenes(s)
    ids = tuple(scene.scene_id for scene in plan)
    created = [
        e.StoryCreated(story_id=STORY, owner_id=OWNER, spec=s, cost_estimate=Decimal("0.10"))
    ]
    planning = [*created, e.PlanningRequested(story_id=STORY, attempt_id="plan-1")]
    planned = [
        *planning,
        e.StoryPlanned(
            story_id=STORY,
            attempt_id="plan-1",
            scenes=plan,
            planner="rules",
            cost_estimate=Decimal("0.1"),
        ),
    ]
    previewing = [
        *planned,
        e.PreviewRequested(
            story_id=STORY,
            attempt_id="preview-1",
            scene_ids=ids,
            profile=preview_profile(s),
            estimated_seconds=9,
        ),
    ]
    preview_ready = [
        *previewing,
        *generated("preview-1", plan),
        e.PreviewComposed(story_id=STORY, attempt_id="preview-1", media=media("preview.mp4")),
    ]
    rendering = [
        *preview_ready,
        e.RenderRequested(
            story_id=STORY,
            attempt_id="render-1",
            scene_ids=ids,
            profile=final_profile(s),
            estimated_seconds=40,
        ),
    ]
    completed = [
        *rendering,
        *generated("render-1", plan),
        e.FinalComposed(story_id=STORY, attempt_id="render-1", media=media("master.mp4")),
        e.RenderCompleted(
            story_id=STORY, attempt_id="render-1", media=media("final.mp4"), upscaled=False
        ),
    ]
    failed = [
        *planning,
        e.PlanningFailed(story_id=STORY, attempt_id="plan-1", code="boom", reason="it broke"),
    ]
    archived = [*created, e.StoryArchived(story_id=STORY)]
    return {
        StoryStatus.DRAFT: created,
        StoryStatus.PLANNING: planning,
        StoryStatus.PLANNED: planned,
        StoryStatus.PREVIEWING: previewing,
        StoryStatus.PREVIEW_READY: preview_ready,
        StoryStatus.RENDERING: rendering,
        StoryStatus.COMPLETED: completed,
        StoryStatus.FAILED: failed,
        StoryStatus.ARCHIVED: archived,
    }[status]


def story_in(status: StoryStatus) -> StoryView:
    view = given(*history(status))
    assert view.status == status
    return view
