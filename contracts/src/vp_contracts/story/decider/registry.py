"""Which handler decides each command: ``@handles(Command)`` registers it, :func:`decide`
dispatches."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from vp_contracts.events.base import Event
from vp_contracts.story import commands as c
from vp_contracts.story.errors import (
    NotFound,
)
from vp_contracts.story.view import StoryView

CommandT = TypeVar("CommandT", bound=c.Command)
Decide = Callable[[Any, StoryView], list[Event]]
HANDLERS: dict[type[c.Command], Decide] = {}


def handles(
    command_type: type[CommandT],
) -> Callable[
    [Callable[[CommandT, StoryView], list[Event]]], Callable[[CommandT, StoryView], list[Event]]
]:
    def register(
        handler: Callable[[CommandT, StoryView], list[Event]],
    ) -> Callable[[CommandT, StoryView], list[Event]]:
        HANDLERS[command_type] = handler
        return handler

    return register


def decide(command: c.Command, state: StoryView) -> list[Event]:
    """The facts ``command`` produces in ``state``; raises ``Refused`` when not allowed."""
    if not isinstance(command, c.CreateStory | c.CreateVariant) and not state.exists:
        raise NotFound(f"story {command.story_id} does not exist")
    return HANDLERS[type(command)](command, state)
