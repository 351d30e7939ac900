"""Commands: what someone asks of a Story, named in the imperative.

A command carries every id the resulting facts need (attempt ids, scene ids); the decider
invents nothing. Commands issued by users come through the gateway; ``Record*`` commands are
issued by the stage services when their work ends.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from vp_contracts.budget import BudgetStatus
from vp_contracts.events.base import Event
from vp_contracts.events.jobs import JobStarted
from vp_contracts.values import (
    MediaOutput,
    ProviderCosts,
    SceneAssets,
    SceneSpec,
    Stage,
    StorySpec,
    StoryStatus,
)


@dataclass(frozen=True, kw_only=True)
class Command:
    """Base: every command is about one story."""

    story_id: str


# -- the creator's commands ------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class CreateStory(Command):
    owner_id: str
    spec: StorySpec
    costs: ProviderCosts = field(default_factory=ProviderCosts)


@dataclass(frozen=True, kw_only=True)
class CreateVariant(Command):
    """A new story with another story's spec and plan, its images seeded anew (planned at
    once: the plan is the source's, so its preview can start)."""

    owner_id: str
    variant_of: str
    spec: StorySpec
    scenes: tuple[SceneSpec, ...]
    attempt_id: str
    costs: ProviderCosts = field(default_factory=ProviderCosts)


@dataclass(frozen=True, kw_only=True)
class UpdateStory(Command):
    """Change some of the story's fields; ``changes`` maps field names to new values."""

    changes: Mapping[str, Any]
    costs: ProviderCosts = field(default_factory=ProviderCosts)


@dataclass(frozen=True, kw_only=True)
class RequestPlanning(Command):
    attempt_id: str
    planner: str | None = None
    content: ContentVerdict | None = None


@dataclass(frozen=True, kw_only=True)
class Spending:
    """The budgets a paid run counts against, as they stand, and the prices of its estimate:
    a run whose estimate does not fit in one of them is refused."""

    budgets: tuple[BudgetStatus, ...] = ()
    costs: ProviderCosts = field(default_factory=ProviderCosts)


@dataclass(frozen=True, kw_only=True)
class ContentVerdict:
    """The content policy's decision on what a run asks the providers to make: recorded with
    the run (allowed), or instead of it (refused, naming the field and why)."""

    allowed: bool
    field: str | None = None
    reason: str = ""
    checks: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class RequestPreview(Command):
    attempt_id: str
    spending: Spending = field(default_factory=Spending)
    content: ContentVerdict | None = None


@dataclass(frozen=True, kw_only=True)
class RequestRender(Command):
    attempt_id: str
    spending: Spending = field(default_factory=Spending)
    content: ContentVerdict | None = None


@dataclass(frozen=True, kw_only=True)
class Transition(Command):
    """Move to ``to`` by whichever command that edge means (the transition endpoint)."""

    to: StoryStatus
    attempt_id: str
    """Used when the edge starts an attempt (planning, previewing, rendering)."""
    spending: Spending = field(default_factory=Spending)
    content: ContentVerdict | None = None


@dataclass(frozen=True, kw_only=True)
class Cancel(Command):
    """Cancel the running attempt (only ``attempt_id``'s, when given)."""

    attempt_id: str | None = None


@dataclass(frozen=True, kw_only=True)
class Archive(Command):
    pass


@dataclass(frozen=True, kw_only=True)
class Restore(Command):
    pass


@dataclass(frozen=True, kw_only=True)
class Reset(Command):
    """Take a failed story back to draft."""


@dataclass(frozen=True, kw_only=True)
class Reopen(Command):
    """Set a ready preview aside to edit the scenes again."""


@dataclass(frozen=True, kw_only=True)
class GiveFeedback(Command):
    """Rate the finished video: ``rating`` 1-5 stars, an optional comment."""

    rating: int
    comment: str = ""


@dataclass(frozen=True, kw_only=True)
class NewScene:
    """A scene the creator adds by hand; it goes after the existing scenes."""

    scene_id: str
    fields: Mapping[str, Any]
    """``duration_seconds``, ``prompt`` (character, background, action, style, motion),
    ``narration``, ``seed``; missing prompt parts come from the story."""


@dataclass(frozen=True, kw_only=True)
class CreateScenes(Command):
    scenes: tuple[NewScene, ...]


@dataclass(frozen=True, kw_only=True)
class UpdateScene(Command):
    scene_id: str
    changes: Mapping[str, Any]


@dataclass(frozen=True, kw_only=True)
class ReorderScene(Command):
    scene_id: str
    position: int


@dataclass(frozen=True, kw_only=True)
class RequestSceneGeneration(Command):
    scene_id: str
    job_id: str
    seed: int
    spending: Spending = field(default_factory=Spending)
    content: ContentVerdict | None = None


# -- the stages' commands --------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class RecordPlan(Command):
    attempt_id: str
    scenes: tuple[SceneSpec, ...]
    planner: str
    costs: ProviderCosts = field(default_factory=ProviderCosts)


@dataclass(frozen=True, kw_only=True)
class RecordPlanningFailure(Command):
    attempt_id: str
    code: str
    reason: str


@dataclass(frozen=True, kw_only=True)
class RecordSceneGenerated(Command):
    attempt_id: str
    scene_id: str
    assets: SceneAssets
    provider: str
    cost: Decimal
    cache_hit: bool
    generation_seconds: float


@dataclass(frozen=True, kw_only=True)
class RecordSceneFailure(Command):
    attempt_id: str
    scene_id: str
    code: str
    reason: str
    attempts: int


@dataclass(frozen=True, kw_only=True)
class RecordPreviewComposed(Command):
    attempt_id: str
    media: MediaOutput


@dataclass(frozen=True, kw_only=True)
class RecordFinalComposed(Command):
    attempt_id: str
    media: MediaOutput


@dataclass(frozen=True, kw_only=True)
class RecordRenderCompleted(Command):
    attempt_id: str
    media: MediaOutput
    upscaled: bool


@dataclass(frozen=True, kw_only=True)
class RecordFinalStreamed(Command):
    attempt_id: str
    hls_key: str


@dataclass(frozen=True, kw_only=True)
class RecordStageFailure(Command):
    attempt_id: str
    stage: Stage
    code: str
    reason: str


@dataclass(frozen=True, kw_only=True)
class ClaimJob(Command):
    """Start a per-attempt job (composing, upscaling) unless a worker already has.

    ``takeover`` starts it again anyway: the message that started it came back, so the worker
    that had it is gone.
    """

    started: JobStarted
    takeover: bool = False


@dataclass(frozen=True, kw_only=True)
class RecordFact(Command):
    """Record a fact whose only rule is that the story exists (costs, job lifecycle)."""

    event: Event
