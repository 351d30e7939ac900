"""Checks the handlers share: the state machine's edges, the states a command needs, input
validated against the contracts' models."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from pydantic import ValidationError

from vp_contracts.events import story as e
from vp_contracts.events.base import Event
from vp_contracts.story.commands import ContentVerdict, Spending
from vp_contracts.story.errors import (
    BudgetExceeded,
    IllegalTransition,
    InvalidInput,
    WrongState,
    invalid_from_validation,
)
from vp_contracts.story.rules import run_estimate
from vp_contracts.story.status import (
    SYSTEM_TRANSITIONS,
    TRANSITIONS,
    USER_TRANSITIONS,
)
from vp_contracts.story.view import StoryView
from vp_contracts.values import (
    SceneSpec,
    StorySpec,
    StoryStatus,
    unknown_fields,
)


def status_of(state: StoryView) -> StoryStatus:
    assert state.status is not None
    return state.status


def spec_of(state: StoryView) -> StorySpec:
    assert state.spec is not None
    return state.spec


def require_edge(state: StoryView, target: StoryStatus, action: str) -> None:
    current = status_of(state)
    if target not in TRANSITIONS[current] or (current, target) in SYSTEM_TRANSITIONS:
        raise IllegalTransition(
            f"cannot {action}: the story is {current.value}", current, USER_TRANSITIONS[current]
        )


def require_state(state: StoryView, allowed: frozenset[StoryStatus], action: str) -> None:
    current = status_of(state)
    if current not in allowed:
        raise WrongState(f"cannot {action} while the story is {current.value}", current, allowed)


def validated(
    model: type[SceneSpec] | type[StorySpec], data: Mapping[str, Any], prefix: str = ""
) -> Any:
    unknown = unknown_fields(model, dict(data), prefix)
    if unknown:
        raise InvalidInput(
            f"unknown field {unknown[0]}",
            {"errors": [{"field": name, "rule": "unknown field"} for name in unknown]},
        )
    try:
        return model.model_validate(dict(data))
    except ValidationError as error:
        raise invalid_from_validation(error, prefix) from None


RUNS = {"preview": "this preview", "final": "this final render", "scene": "this scene's generation"}


def require_budget(
    state: StoryView, spending: Spending, kind: Literal["preview", "final", "scene"]
) -> None:
    """Refuse a paid run whose estimate does not fit in one of the budgets it counts against."""
    amount = run_estimate(kind, len(state.scenes), state.duration_seconds, spending.costs)
    if amount <= 0:
        return
    for status in spending.budgets:
        if not status.allows(amount):
            raise BudgetExceeded(status.describe(amount, RUNS[kind]), status.details(amount))


def with_verdict(
    content: ContentVerdict | None, story_id: str, run: str, events: list[Event]
) -> list[Event]:
    """The run's facts with the content policy's decision: allowed, the run and the decision;
    refused, only the decision (the run does not start). No decision (None): the run alone."""
    if content is None:
        return events
    checked = e.ContentChecked(
        story_id=story_id,
        run=run,
        allowed=content.allowed,
        field=content.field,
        reason=content.reason[:1000],
        checks=content.checks,
    )
    # After the run's own facts: a consumer of the run reads its request first.
    return [*events, checked] if content.allowed else [checked]
