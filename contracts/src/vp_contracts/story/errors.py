"""Refusals: a command that the story's state or its input does not allow.

A refusal writes nothing; the gateway turns it into a 4xx answer carrying ``code``, ``message``
and ``details`` so the user knows what to fix.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from vp_contracts.values import StoryStatus


class Refused(Exception):
    """Base of every refusal."""

    code = "refused"

    def __init__(self, message: str, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or {}


class NotFound(Refused):
    """The story or scene does not exist."""

    code = "not_found"


class InvalidInput(Refused):
    """The input breaks a rule; ``details['errors']`` names each field and rule."""

    code = "invalid_input"

    @classmethod
    def field(cls, field: str, rule: str) -> InvalidInput:
        return cls(f"{field}: {rule}", {"errors": [{"field": field, "rule": rule}]})


class IllegalTransition(Refused):
    """The command is not allowed in the story's current state."""

    code = "illegal_transition"

    def __init__(
        self, message: str, current: StoryStatus, allowed: Iterable[StoryStatus], **extra: Any
    ) -> None:
        allowed_names = sorted(status.value for status in allowed)
        super().__init__(message, {"current": current.value, "allowed": allowed_names, **extra})
        self.current = current
        self.allowed = tuple(allowed_names)


class WrongState(Refused):
    """The command is not allowed while the story is in its current state."""

    code = "wrong_state"

    def __init__(
        self, message: str, current: StoryStatus, allowed_states: Iterable[StoryStatus]
    ) -> None:
        names = sorted(status.value for status in allowed_states)
        super().__init__(message, {"current": current.value, "allowed_states": names})
        self.current = current


class BudgetExceeded(Refused):
    """The run's estimate does not fit in a monthly budget; ``details`` names the budget, its
    cap, what is spent and what the run would cost."""

    code = "budget_exceeded"


class AlreadyExists(Refused):
    """Something with that id exists already."""

    code = "already_exists"


def invalid_from_validation(error: Any, prefix: str = "") -> InvalidInput:
    """Turn a pydantic ValidationError into an InvalidInput naming each field and rule."""
    errors = []
    for item in error.errors(include_url=False):
        path = (
            prefix + ".".join(str(part) for part in item["loc"])
            if item["loc"]
            else prefix.rstrip(".")
        )
        errors.append({"field": path or "body", "rule": item["msg"]})
    summary = "; ".join(f"{entry['field']}: {entry['rule']}" for entry in errors)
    return InvalidInput(summary, {"errors": errors})
