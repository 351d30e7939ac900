"""The Story state machine: the union of both planning documents plus cancel edges."""

from __future__ import annotations

from collections.abc import Mapping

from vp_contracts.values import StoryStatus as S

TRANSITIONS: Mapping[S, frozenset[S]] = {
    S.DRAFT: frozenset({S.PLANNING, S.ARCHIVED}),
    S.PLANNING: frozenset({S.PLANNED, S.FAILED, S.DRAFT}),
    S.PLANNED: frozenset({S.PREVIEWING, S.PLANNING}),
    S.PREVIEWING: frozenset({S.PREVIEW_READY, S.FAILED, S.PLANNED}),
    S.PREVIEW_READY: frozenset({S.RENDERING, S.PLANNED}),
    S.RENDERING: frozenset({S.COMPLETED, S.FAILED, S.PREVIEW_READY}),
    S.COMPLETED: frozenset({S.ARCHIVED}),
    S.FAILED: frozenset({S.PLANNING, S.DRAFT}),
    S.ARCHIVED: frozenset({S.DRAFT}),
}
"""Every allowed ``from -> to`` edge."""

SYSTEM_TRANSITIONS: frozenset[tuple[S, S]] = frozenset(
    {
        (S.PLANNING, S.PLANNED),
        (S.PLANNING, S.FAILED),
        (S.PREVIEWING, S.PREVIEW_READY),
        (S.PREVIEWING, S.FAILED),
        (S.RENDERING, S.COMPLETED),
        (S.RENDERING, S.FAILED),
    }
)
"""Edges taken when a stage finishes; a user cannot ask for them."""

USER_TRANSITIONS: Mapping[S, frozenset[S]] = {
    source: frozenset(target for target in targets if (source, target) not in SYSTEM_TRANSITIONS)
    for source, targets in TRANSITIONS.items()
}
"""Edges a user may ask for (through the transition endpoint or a command)."""

RUNNING: frozenset[S] = frozenset({S.PLANNING, S.PREVIEWING, S.RENDERING})
"""States in which a stage is working on an attempt."""

EDITABLE: frozenset[S] = frozenset({S.DRAFT, S.PLANNED, S.PREVIEW_READY, S.FAILED})
"""States in which the story's fields may change."""

SCENES_EDITABLE: frozenset[S] = frozenset({S.DRAFT, S.PLANNED, S.PREVIEW_READY})
"""States in which scenes may be added, edited, reordered or regenerated."""


def can_transition(source: S, target: S) -> bool:
    """Whether ``source -> target`` is an edge of the state machine."""
    return target in TRANSITIONS[source]
