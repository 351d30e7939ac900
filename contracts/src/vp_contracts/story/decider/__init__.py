"""The Story decider: ``decide(command, state) -> events``.

Pure: no clock, no random ids, no I/O. A user command that the state or input does not allow
raises a :class:`~vp_contracts.story.errors.Refused`; a stage's result for a stale attempt
yields no events (the work is simply no longer wanted); a command that changes nothing
yields no events, so retries are harmless.
"""

from vp_contracts.story.decider import creator, scenes, stages  # noqa: F401  (they register)
from vp_contracts.story.decider.creator import PLANNERS
from vp_contracts.story.decider.registry import Decide, decide

__all__ = ["PLANNERS", "Decide", "decide"]
