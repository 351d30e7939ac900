"""Stories, scenes and jobs as the API shows them, rendered from the folded view.

Storage keys become expiring links only here, at answer time: links are never stored.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from vp_contracts.story.errors import NotFound
from vp_contracts.story.rules import story_language
from vp_contracts.story.view import StoryView

from vp_gateway.adapters.db.readmodel import scene_data
from vp_gateway.entrypoints.schemas import (
    AttemptOut,
    ContentCheckOut,
    FailureOut,
    FeedbackOut,
    JobOut,
    SceneOut,
    ScenePromptOut,
    StoryOut,
)

Link = Callable[[str | None], str | None]
"""Storage key -> expiring URL (None stays None)."""

MICROS = Decimal(1_000_000)


def no_links(key: str | None) -> str | None:
    return None


def scene_out(data: dict[str, Any], link: Link) -> SceneOut:
    keys = data["keys"]
    return SceneOut(
        id=data["id"],
        story=data["story"],
        position=data["position"],
        duration_seconds=data["duration_seconds"],
        prompt=ScenePromptOut.model_validate(data["prompt"]),
        narration=data["narration"],
        seed=data["seed"],
        transition=data.get("transition"),
        background_asset_id=data.get("background_asset_id"),
        narration_asset_id=data.get("narration_asset_id"),
        status=data["status"],
        background_url=link(keys["background"]),
        character_url=link(keys["character"]),
        clip_url=link(keys["clip"]),
        narration_url=link(keys["narration"]),
        provider=data["provider"],
        cost=Decimal(data["cost"]),
        error=data["error"],
    )


def story_out(view: StoryView, link: Link, *, stale: bool = False) -> StoryOut:
    spec = view.spec
    if (
        spec is None
        or view.status is None
        or view.owner_id is None
        or view.created_at is None
        or view.updated_at is None
    ):
        raise NotFound(f"story {view.story_id} does not exist")
    newest = view.final or view.preview
    return StoryOut(
        id=view.story_id,
        owner_id=view.owner_id,
        project_id=spec.project_id,
        title=spec.title,
        description=spec.description,
        character_prompt=spec.character_prompt,
        background_prompt=spec.background_prompt,
        action_prompt=spec.action_prompt,
        style=spec.style,
        duration_seconds=spec.duration_seconds,
        resolution=spec.resolution,
        fps=spec.fps,
        aspect_ratio=spec.aspect_ratio,
        narration=spec.narration,
        burn_subtitles=spec.burn_subtitles,
        subtitle_style=spec.subtitle_style,
        transition=spec.transition,
        music=spec.music,
        character_asset_id=spec.character_asset_id,
        variant_of=view.variant_of,
        language=view.language or story_language(spec),
        language_detected=spec.language is None,
        status=view.status,
        scenes=[scene_out(scene_data(view.story_id, scene), link) for scene in view.scenes],
        preview_url=link(view.preview.video_key if view.preview else None),
        preview_hls_url=link(view.preview.hls_key if view.preview else None),
        final_url=link(view.final.video_key if view.final else None),
        final_hls_url=link(view.final.hls_key if view.final else None),
        thumbnail_url=link(newest.thumbnail_key if newest else None),
        subtitles_url=link(newest.subtitles_key if newest else None),
        subtitles_srt_url=link(newest.srt_key if newest else None),
        cost_estimate=view.cost_estimate,
        actual_cost=view.actual_cost,
        generation_params=spec.generation_params,
        planner=view.planner,
        attempt=AttemptOut(id=view.attempt.id, stage=view.attempt.stage.value)
        if view.attempt
        else None,
        failure=(
            FailureOut(
                stage=view.failure.stage.value,
                code=view.failure.code,
                reason=view.failure.reason,
                scene_id=view.failure.scene_id,
            )
            if view.failure
            else None
        ),
        feedback=FeedbackOut(rating=view.feedback.rating, comment=view.feedback.comment)
        if view.feedback
        else None,
        content_check=ContentCheckOut(
            run=view.content_check.run,
            allowed=view.content_check.allowed,
            field=view.content_check.field,
            reason=view.content_check.reason,
        )
        if view.content_check
        else None,
        created_at=view.created_at,
        updated_at=view.updated_at,
        stale=stale,
        version=view.version,
    )


def job_out(row: Any) -> JobOut:
    return JobOut(
        id=row.id,
        story=row.story_id,
        type=row.type,
        status=row.status,
        attempts=row.attempts,
        progress=row.progress,
        error=row.error,
        provider=row.provider,
        cost=Decimal(row.cost_micros) / MICROS,
        cache_hit=row.cache_hit,
        scene=row.scene_id,
        attempt_id=row.attempt_id,
        created_at=row.created_at,
        started_at=row.started_at,
        finished_at=row.finished_at,
    )
