"""Facts of a Story's life, v1.

Each class is one CloudEvents type. Facts produced by a stage carry the ``attempt_id`` of the
planning, preview or render attempt they belong to; the fold ignores facts of stale attempts.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from vp_contracts.events.base import Event
from vp_contracts.values import (
    LanguageTag,
    MediaOutput,
    Money,
    RenderProfile,
    SceneAssets,
    SceneSpec,
    Stage,
    StorySpec,
)

AttemptId = Annotated[
    str, Field(min_length=1, max_length=64, description="Id of the attempt (and of its job)")
]
Reason = Annotated[
    str,
    Field(min_length=1, max_length=2000, description="What went wrong, in words a user can act on"),
]
Code = Annotated[
    str,
    Field(
        min_length=1,
        max_length=64,
        description="Machine-readable reason, e.g. 'provider_unavailable'",
    ),
]


class StoryCreated(Event):
    """A creator started a story (status draft)."""

    name = "created"

    owner_id: str = Field(
        min_length=1, max_length=64, description="Id of the user who owns the story"
    )
    spec: StorySpec = Field(description="What the creator asked for")
    cost_estimate: Money = Field(description="Estimated cost of preview and final render")
    language: LanguageTag | None = Field(
        default=None,
        description="The story's language: the one asked for, else detected from its text",
    )
    variant_of: str | None = Field(
        default=None,
        max_length=64,
        description="The story this one is a variant of (its plan, other seeds)",
    )


class StoryUpdated(Event):
    """The creator changed the story's fields; ``spec`` is the whole new spec."""

    name = "updated"

    spec: StorySpec = Field(description="The story's spec after the change")
    changed: tuple[str, ...] = Field(description="Names of the fields that changed")
    cost_estimate: Money = Field(description="Estimate after the change")
    language: LanguageTag | None = Field(
        default=None,
        description="The story's language after the change: asked for, else detected",
    )


class PlanningRequested(Event):
    """Planning the story into scenes was asked for (status planning)."""

    name = "planning_requested"

    attempt_id: AttemptId
    planner: str | None = Field(
        default=None, description="Planner asked for ('rules' or 'llm'); None = default"
    )


class StoryPlanned(Event):
    """The planner split the story into scenes (status planned). Carries the whole plan."""

    name = "planned"

    attempt_id: AttemptId
    scenes: tuple[SceneSpec, ...] = Field(min_length=1, description="The scenes, in order")
    planner: str = Field(
        description="Which planner made the plan, e.g. 'rules' or 'llm:gpt-4o-mini'"
    )
    cost_estimate: Money = Field(description="Estimate for this plan")


class PlanningFailed(Event):
    """The planner could not plan the story (status failed)."""

    name = "planning_failed"

    attempt_id: AttemptId
    code: Code
    reason: Reason


class ScenesCreated(Event):
    """Scenes were added by hand (bulk create), after the existing ones."""

    name = "scenes_created"

    scenes: tuple[SceneSpec, ...] = Field(
        min_length=1, description="The new scenes with their positions"
    )


class SceneUpdated(Event):
    """One scene's prompt, narration or duration was edited; ``scene`` is the whole new scene."""

    name = "scene_updated"

    scene: SceneSpec = Field(description="The scene after the edit")
    changed: tuple[str, ...] = Field(description="Names of the fields that changed")


class ScenesReordered(Event):
    """A scene moved; ``order`` is the resulting order of all scene ids."""

    name = "scenes_reordered"

    scene_id: str = Field(description="The scene that moved")
    position: int = Field(ge=0, description="Its new 0-based position")
    order: tuple[str, ...] = Field(min_length=1, description="All scene ids in their new order")


class SceneGenerationRequested(Event):
    """One scene's visuals were asked for again, with a new seed."""

    name = "scene_generation_requested"

    scene_id: str = Field(description="The scene to generate")
    job_id: str = Field(description="Id of the scene job")
    seed: int = Field(ge=0, description="Seed for the new images")
    profile: RenderProfile = Field(description="Size and rate to generate at")


class PreviewRequested(Event):
    """A low-resolution preview was asked for (status previewing)."""

    name = "preview_requested"

    attempt_id: AttemptId
    scene_ids: tuple[str, ...] = Field(min_length=1, description="Scenes to generate, in order")
    profile: RenderProfile = Field(description="Preview size and rate")
    estimated_seconds: int = Field(ge=0, description="Expected time until the preview is ready")


class SceneGenerated(Event):
    """A scene's layers and narration are in storage."""

    name = "scene_generated"

    attempt_id: str = Field(
        description="Preview or render attempt, or the scene job of a single-scene generation"
    )
    scene_id: str = Field(description="The scene")
    assets: SceneAssets = Field(description="Where the layers are")
    provider: str = Field(description="Provider of the images, e.g. 'offline' or 'stability'")
    cost: Money = Field(description="What generating this scene cost (0 on a cache hit)")
    cache_hit: bool = Field(
        default=False, description="All assets came from the content-addressed cache"
    )
    generation_seconds: float = Field(ge=0, description="Wall time spent generating")


class SceneFailed(Event):
    """A scene could not be generated after all retries; its attempt fails."""

    name = "scene_failed"

    attempt_id: str = Field(description="Attempt the scene belonged to")
    scene_id: str = Field(description="The scene")
    code: Code
    reason: Reason
    attempts: int = Field(ge=1, description="How many times it was tried")


class PreviewComposed(Event):
    """The preview video is ready (status preview_ready)."""

    name = "preview_composed"

    attempt_id: AttemptId
    media: MediaOutput = Field(description="The preview video")


class RenderRequested(Event):
    """The final render was asked for (status rendering)."""

    name = "render_requested"

    attempt_id: AttemptId
    scene_ids: tuple[str, ...] = Field(min_length=1, description="Scenes to render, in order")
    profile: RenderProfile = Field(description="Target size and rate of the final video")
    estimated_seconds: int = Field(ge=0, description="Expected time until the final video is ready")


class FinalComposed(Event):
    """The final master is composed; the upscaler takes it to the target."""

    name = "final_composed"

    attempt_id: AttemptId
    media: MediaOutput = Field(description="The master video")


class RenderCompleted(Event):
    """The final video is ready (status completed)."""

    name = "completed"

    attempt_id: AttemptId
    media: MediaOutput = Field(description="The final video")
    upscaled: bool = Field(description="Whether the master was scaled or interpolated")


class FinalStreamed(Event):
    """The completed final's HLS renditions are stored (made after ``completed``, so the MP4
    is never kept waiting for them); the status stays."""

    name = "final_streamed"

    attempt_id: AttemptId
    hls_key: str = Field(description="Storage key of the final's HLS master playlist")


class StoryFailed(Event):
    """A stage gave up on the current attempt (status failed)."""

    name = "failed"

    attempt_id: AttemptId
    stage: Stage = Field(description="Stage that failed")
    code: Code
    reason: Reason


class StoryCancelled(Event):
    """The creator cancelled the running attempt; the story goes back one step."""

    name = "cancelled"

    attempt_id: AttemptId
    stage: Stage = Field(description="Stage that was cancelled")


class StoryArchived(Event):
    """The story was archived (deleted from lists, kept in the log)."""

    name = "archived"


class FeedbackGiven(Event):
    """The creator rated a finished video (the roadmap's satisfaction KPI, 1 to 5 stars)."""

    name = "feedback_given"

    rating: int = Field(ge=1, le=5, description="Stars, 1 (poor) to 5 (excellent)")
    comment: str = Field(default="", max_length=1000, description="What the creator said")


class StoryRestored(Event):
    """An archived story was brought back as a draft."""

    name = "restored"


class StoryReset(Event):
    """A failed story was taken back to draft to start over."""

    name = "reset"


class StoryReopened(Event):
    """A ready preview was set aside to edit the scenes again (status planned)."""

    name = "reopened"


class CostRecorded(Event):
    """A provider call was made (or served from cache) and what it cost."""

    name = "cost_recorded"

    attempt_id: str = Field(description="Attempt the call was made for")
    job_id: str = Field(description="Job that made the call")
    scene_id: str | None = Field(default=None, description="Scene, when the call was for one")
    provider: str = Field(description="Provider name")
    operation: str = Field(description="What was asked: image, video, narration, upscale or plan")
    units: float = Field(ge=0, description="How many units were billed (images, seconds, tokens)")
    amount: Money = Field(description="Dollars charged")
    cache_hit: bool = Field(
        default=False, description="Served from the content-addressed cache at no cost"
    )
    provider_job_id: str | None = Field(
        default=None, description="The provider's own id of the call"
    )
    outcome: str = Field(
        default="ok",
        max_length=500,
        description="'ok', 'cache_hit', or 'error: ...' for a failed call (added in 1.1)",
    )


class ContentChecked(Event):
    """The content policy read what a run asks the providers to make (the story's prompts and
    narration) before any paid generation: allowed, or refused naming the field and why (a
    refused run does not start). Added in 1.5."""

    name = "content_checked"

    run: str = Field(max_length=20, description="What was to run: planning, preview, final, scene")
    allowed: bool = Field(description="False: the run was refused and did not start")
    field: str | None = Field(
        default=None, max_length=200, description="The field refused, e.g. scenes[2].narration"
    )
    reason: str = Field(default="", max_length=1000, description="Why it was refused")
    checks: tuple[str, ...] = Field(
        default=(), description="What was checked: blocked_terms, moderation"
    )
