"""CloudEvents type -> model, and upcasting of older versions on read.

When a breaking change makes ``vp.story.<name>.v2``, the v1 class stays registered (producers
publish both until consumers move) and an upcaster turns stored v1 bodies into v2 on read, so
a fold only ever sees the newest shape.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from vp_contracts.events import jobs, story
from vp_contracts.events.base import Event

Upcaster = Callable[[dict[str, Any]], tuple[str, dict[str, Any]]]
"""Turns a stored body of one type into ``(newer_type, newer_body)``."""


def _event_classes() -> list[type[Event]]:
    found: list[type[Event]] = []
    for module in (story, jobs):
        for value in vars(module).values():
            if (
                isinstance(value, type)
                and issubclass(value, Event)
                and value.__module__ == module.__name__
                and "name" in value.__dict__
            ):
                found.append(value)
    return found


EVENT_TYPES: Mapping[str, type[Event]] = {cls.ce_type(): cls for cls in _event_classes()}
"""Every registered CloudEvents type and its model."""

UPCASTERS: dict[str, Upcaster] = {}
"""Stored type -> upcaster to the next version. Empty while every type is at v1."""


class UnknownEventType(ValueError):
    """The type is not one this version of the contracts knows."""


def event_class(ce_type: str) -> type[Event]:
    """The model of a CloudEvents type; raises :class:`UnknownEventType`."""
    try:
        return EVENT_TYPES[ce_type]
    except KeyError:
        raise UnknownEventType(f"unknown event type {ce_type!r}") from None


def upcast(ce_type: str, body: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """Apply upcasters until the type has none; returns the newest type and body."""
    seen = {ce_type}
    while ce_type in UPCASTERS:
        ce_type, body = UPCASTERS[ce_type](body)
        if ce_type in seen:
            raise ValueError(f"upcaster cycle at {ce_type!r}")
        seen.add(ce_type)
    return ce_type, body


def parse_event(ce_type: str, data: bytes | str | dict[str, Any]) -> Event:
    """Validate a stored or received body into its (newest) model.

    Raises :class:`UnknownEventType` or :class:`pydantic.ValidationError`.
    """
    if ce_type not in UPCASTERS and isinstance(data, bytes | str):
        return event_class(ce_type).model_validate_json(data)  # parsed and validated in Rust
    body = json.loads(data) if isinstance(data, bytes | str) else dict(data)
    ce_type, body = upcast(ce_type, body)
    return event_class(ce_type).model_validate(body)
