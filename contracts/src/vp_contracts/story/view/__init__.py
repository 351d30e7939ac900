"""The reference fold of a Story: ``evolve(state, event) -> state``.

This is the Story as every service sees it: status, spec, ordered scenes with their assets,
the current attempt, media outputs and costs. Other teams can fold the same log with it.
Facts of a stale attempt (one that is no longer current, or whose stage is over) do not
move the state.
"""

from vp_contracts.story.view.evolution import evolve, fold
from vp_contracts.story.view.state import (
    INITIAL,
    Attempt,
    ContentCheck,
    Failure,
    Feedback,
    SceneStatus,
    SceneView,
    StoryView,
)

__all__ = [
    "INITIAL",
    "Attempt",
    "ContentCheck",
    "Failure",
    "Feedback",
    "SceneStatus",
    "SceneView",
    "StoryView",
    "evolve",
    "fold",
]
