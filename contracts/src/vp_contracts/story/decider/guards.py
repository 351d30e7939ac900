"""Checks the handlers share: the state machine's edges, the states a command needs, input
validated against the contracts' models."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from vp_contracts.story.errors import (
    IllegalTransition,
    InvalidInput,
    WrongState,
    invalid_from_validation,
)
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
