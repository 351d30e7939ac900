"""A Story as the fold of its facts: the story, its scenes, the running attempt, the last failure and the creator's feedback."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from vp_contracts.values import (
    MediaOutput,
    RenderProfile,
    SceneAssets,
    SceneSpec,
    Stage,
    StorySpec,
    StoryStatus,
)

RUNNING_STATUS = {
    Stage.PLANNING: StoryStatus.PLANNING,
    Stage.PREVIEW: StoryStatus.PREVIEWING,
    Stage.RENDER: StoryStatus.RENDERING,
}
"""The story's status while an attempt of each stage runs."""


class SceneStatus(StrEnum):
    """Where a scene's assets are."""

    PENDING = "pending"
    QUEUED = "queued"
    GENERATING = "generating"
    GENERATED = "generated"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class Attempt:
    """The latest planning, preview or render attempt; its id is also its job id."""

    id: str
    stage: Stage
    scene_ids: tuple[str, ...] = ()
    profile: RenderProfile | None = None
    started_jobs: tuple[str, ...] = ()
    """Jobs of this attempt that a worker took, sorted (so a serialised view is canonical)."""
    requested_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Feedback:
    """The creator's latest rating of the finished video."""

    rating: int
    comment: str = ""


@dataclass(frozen=True, slots=True)
class ContentCheck:
    """The content policy's last decision on a run of this story."""

    run: str
    allowed: bool
    field: str | None = None
    reason: str = ""


@dataclass(frozen=True, slots=True)
class Failure:
    """Why the story failed."""

    stage: Stage
    code: str
    reason: str
    attempt_id: str
    scene_id: str | None = None


@dataclass(frozen=True, slots=True)
class SceneView:
    """One scene: its spec and the state of its assets."""

    spec: SceneSpec
    status: SceneStatus = SceneStatus.PENDING
    assets: SceneAssets | None = None
    assets_attempt_id: str | None = None
    provider: str | None = None
    cost: Decimal = Decimal(0)
    job_id: str | None = None
    """Pending single-scene generation job, if any."""
    error: str | None = None

    @property
    def scene_id(self) -> str:
        return self.spec.scene_id


@dataclass(frozen=True, slots=True)
class StoryView:
    """A Story folded from its log. ``status is None`` means no such story."""

    story_id: str = ""
    status: StoryStatus | None = None
    owner_id: str | None = None
    spec: StorySpec | None = None
    variant_of: str | None = None
    """The story this one is a variant of, if it is one."""
    scenes: tuple[SceneView, ...] = ()
    version: int = 0
    """Stream sequence of the last fact; the expected version of the next append."""
    event_count: int = 0
    created_at: datetime | None = None
    updated_at: datetime | None = None
    attempt: Attempt | None = None
    preview: MediaOutput | None = None
    master: MediaOutput | None = None
    final: MediaOutput | None = None
    cost_estimate: Decimal = Decimal(0)
    actual_cost: Decimal = Decimal(0)
    failure: Failure | None = None
    planner: str | None = None
    language: str | None = None
    """The story's language (BCP 47): asked for, else detected from its text."""
    feedback: Feedback | None = None
    content_check: ContentCheck | None = None
    """The content policy's last decision (a refused run names its field and why)."""

    @property
    def exists(self) -> bool:
        return self.status is not None

    def scene(self, scene_id: str) -> SceneView | None:
        """The scene with this id, or None."""
        return next((scene for scene in self.scenes if scene.scene_id == scene_id), None)

    def is_current(self, attempt_id: str, stage: Stage | None = None) -> bool:
        """Whether ``attempt_id`` is the running attempt (of ``stage``, if given)."""
        attempt = self.attempt
        return (
            attempt is not None
            and attempt.id == attempt_id
            and (stage is None or attempt.stage == stage)
            and self.status == RUNNING_STATUS[attempt.stage]
        )

    def attempt_scenes(self) -> tuple[SceneView, ...]:
        """Scenes of the current attempt, in the attempt's order."""
        if self.attempt is None:
            return ()
        by_id = {scene.scene_id: scene for scene in self.scenes}
        return tuple(by_id[sid] for sid in self.attempt.scene_ids if sid in by_id)

    def scene_job_is_current(self, scene_id: str, attempt_id: str) -> bool:
        """Whether results for ``scene_id`` from ``attempt_id`` would still be used.

        That is the scene's pending single-scene job, or the running preview or render
        attempt that includes the scene.
        """
        scene = self.scene(scene_id)
        if scene is None:
            return False
        if scene.job_id is not None:
            return scene.job_id == attempt_id
        return (
            self.is_current(attempt_id)
            and self.attempt is not None
            and scene_id in self.attempt.scene_ids
        )

    def scenes_ready(self) -> bool:
        """Whether every scene of the running attempt has assets made for that attempt."""
        if (
            self.attempt is None
            or self.attempt.stage == Stage.PLANNING
            or not self.attempt.scene_ids
        ):
            return False
        scenes = self.attempt_scenes()
        return len(scenes) == len(self.attempt.scene_ids) and all(
            scene.assets is not None and scene.assets_attempt_id == self.attempt.id
            for scene in scenes
        )

    @property
    def duration_seconds(self) -> float:
        """Planned length: the sum of the scene durations."""
        return sum(scene.spec.duration_seconds for scene in self.scenes)


INITIAL = StoryView()
"""The state before the first fact."""
