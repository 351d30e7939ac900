"""The Story's rules: state machine, pure decider and the reference fold."""

from vp_contracts.story.commands import Command
from vp_contracts.story.decider import decide
from vp_contracts.story.errors import IllegalTransition, InvalidInput, NotFound, Refused
from vp_contracts.story.status import TRANSITIONS, USER_TRANSITIONS, can_transition
from vp_contracts.story.view import INITIAL, SceneView, StoryView, evolve, fold

__all__ = [
    "INITIAL",
    "TRANSITIONS",
    "USER_TRANSITIONS",
    "Command",
    "IllegalTransition",
    "InvalidInput",
    "NotFound",
    "Refused",
    "SceneView",
    "StoryView",
    "can_transition",
    "decide",
    "evolve",
    "fold",
]
