"""The work-queue message of one scene job (generator fan-out -> generator workers)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class SceneJob(BaseModel):
    """Generate one scene's layers and narration for one attempt."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    story_id: str = Field(description="Story")
    owner_id: str = Field(default="", description="The story's owner (their fair share)")
    attempt_id: str = Field(description="Preview or render attempt, or the single-scene job id")
    job_id: str = Field(description="Scene job id")
    scene_id: str = Field(description="Scene")
    stage: str = Field(description="preview, render or scene")
    width: int = Field(gt=0, description="Image width")
    height: int = Field(gt=0, description="Image height")
    fps: int = Field(gt=0, description="Frames per second (for motion clips)")

    @property
    def lane(self) -> str:
        """Final renders wait in the batch lane; previews and single scenes go first."""
        return "batch" if self.stage == "render" else "interactive"
