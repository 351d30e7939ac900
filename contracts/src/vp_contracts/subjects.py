"""NATS subjects of the Story log and its side channels.

``vp.story.<story_id>.<event_name>`` holds the facts; other teams filter by event
(``vp.story.*.completed``), a service that needs one story reads ``vp.story.<id>.>``.
The root token is configurable so that test runs can share one server without sharing data.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

DEFAULT_ROOT = "vp"
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def check_token(value: str, what: str = "id") -> str:
    """Return ``value`` if it is a single safe subject token, else raise ValueError."""
    if not _TOKEN.fullmatch(value):
        raise ValueError(f"{what} {value!r} must be 1-64 letters, digits, '-' or '_'")
    return value


@dataclass(frozen=True)
class Subjects:
    """Subject names under one root (``vp`` in production)."""

    root: str = DEFAULT_ROOT

    def __post_init__(self) -> None:
        for token in self.root.split("."):
            check_token(token, "subject root token")

    def story_event(self, story_id: str, event_name: str) -> str:
        """Subject of one fact: ``vp.story.<story_id>.<event_name>``."""
        return f"{self.root}.story.{check_token(story_id, 'story id')}.{event_name}"

    def story(self, story_id: str) -> str:
        """All facts of one story: ``vp.story.<story_id>.>``."""
        return f"{self.root}.story.{check_token(story_id, 'story id')}.>"

    def all_stories(self) -> str:
        """Every fact of every story: ``vp.story.>``."""
        return f"{self.root}.story.>"

    def event_of_any_story(self, event_name: str) -> str:
        """One kind of fact across stories, e.g. ``vp.story.*.completed``."""
        return f"{self.root}.story.*.{event_name}"

    def story_id_of(self, subject: str) -> str:
        """The story id token of a story subject."""
        prefix = f"{self.root}.story."
        if not subject.startswith(prefix):
            raise ValueError(f"{subject!r} is not a story subject under {self.root!r}")
        return subject[len(prefix) :].split(".", 1)[0]

    def progress(self, story_id: str) -> str:
        """Plain NATS subject of progress ticks (not facts, not stored)."""
        return f"{self.root}.progress.{check_token(story_id, 'story id')}"

    def all_progress(self) -> str:
        """Progress ticks of every story."""
        return f"{self.root}.progress.*"

    def jobs(self, kind: str = "*", lane: str = "*", owner: str = "*") -> str:
        """Work-queue subject of one kind of job (``scene``, ``compose``, ``segment``) in one
        priority lane (``interactive``, ``batch``) for one owner (a key of the user id, see
        :func:`vp_runtime.messaging.workqueue.owner_key`): ``vp.jobs.scene.interactive.<key>``."""
        return f"{self.root}.jobs.{kind}.{lane}.{owner}"

    def held_jobs(self, kind: str = "*", lane: str = "*", owner: str = "*") -> str:
        """Jobs of one owner waiting for their turn to enter a lane (no consumer reads them;
        they move to :meth:`jobs` as the owner's earlier jobs finish):
        ``vp.jobs.scene.held.interactive.<key>``."""
        return f"{self.root}.jobs.{kind}.held.{lane}.{owner}"

    def budget_limit(self, scope_key: str) -> str:
        """The caps set on one budget: ``vp.budget.<scope>.limit``."""
        return f"{self.root}.budget.{check_token(scope_key, 'budget scope')}.limit"

    def budget_spending(self, scope_key: str, month: str) -> str:
        """One budget's spending in one month: ``vp.budget.<scope>.<YYYY-MM>.spending``."""
        scope = check_token(scope_key, "budget scope")
        return f"{self.root}.budget.{scope}.{check_token(month, 'month')}.spending"

    def all_budgets(self) -> str:
        """Every fact of the budget log: ``vp.budget.>``."""
        return f"{self.root}.budget.>"

    def dead_letters(self, source: str = "*") -> str:
        """Subject of dead letters from one source stage."""
        return f"{self.root}.dead.{source}"
