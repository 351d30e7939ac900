"""The work-queue message of one compose job (compositor dispatch -> compose workers)."""

from __future__ import annotations

from typing import Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field


class ComposeJob(BaseModel):
    """Compose the preview or the final master of one attempt, whose scenes are all ready."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    story_id: str = Field(description="Story")
    owner_id: str = Field(default="", description="The story's owner (their fair share)")
    attempt_id: str = Field(description="Preview or render attempt")
    stage: Literal["preview", "render"] = Field(description="What is composed")

    @property
    def lane(self) -> str:
        """Final masters wait in the batch lane; previews go first."""
        return "batch" if self.stage == "render" else "interactive"


class SegmentJob(BaseModel):
    """Render one segment of a long final master (the joining worker waits for it)."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    story_id: str = Field(description="Story")
    owner_id: str = Field(default="", description="The story's owner (their fair share)")
    attempt_id: str = Field(description="Render attempt")
    index: int = Field(ge=0, description="Which segment, from 0")


class ComposeQueue(Protocol):
    async def put(self, job: ComposeJob) -> None:
        """Queue ``job`` once: the same attempt's job again does nothing."""
        ...

    async def put_segment(self, job: SegmentJob) -> None:
        """Queue a segment job once (batch lane)."""
        ...
