"""The content policy (the roadmap's compliance item, copyright filtering): before any paid
run, what it asks the providers to make is checked against blocked terms and, when one is
configured, a moderation service; the decision is recorded on the story's log with the run
(allowed) or instead of it (refused, naming the field and why)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from vp_contracts.story.commands import ContentVerdict
from vp_contracts.story.errors import Refused
from vp_contracts.story.view import StoryView

from vp_gateway.domain.policy import TermList, checked_fields, chunks

MODERATION_BATCH = 32
"""Texts per moderation request."""


class ContentBlocked(Refused):
    """The content policy refused a field of the story: change it and try again."""

    code = "content_blocked"


class ModerationUnavailable(Refused):
    """The moderation service did not answer: nothing paid starts unchecked."""

    code = "moderation_unavailable"


class Moderation(Protocol):
    async def flagged(self, texts: Sequence[str]) -> list[list[str]]:
        """For each text, the categories it was flagged for (empty: fine)."""
        ...


class ContentPolicy:
    def __init__(self, terms: TermList, moderation: Moderation | None = None) -> None:
        self._terms = terms
        self._moderation = moderation

    async def verdict(
        self, view: StoryView, scene_ids: Sequence[str] | None = None
    ) -> ContentVerdict:
        """The decision on the story's fields and the scenes of ``scene_ids`` (all: None)."""
        fields = checked_fields(view, scene_ids)
        checks: tuple[str, ...] = ("blocked_terms",)
        found = self._terms.find(fields)
        if found is not None:
            return ContentVerdict(
                allowed=False, field=found.field, reason=found.reason, checks=checks
            )
        if self._moderation is None:
            return ContentVerdict(allowed=True, checks=checks)
        checks = (*checks, "moderation")
        for batch in chunks(fields, MODERATION_BATCH):
            flags = await self._moderation.flagged([text for _, text in batch])
            for (name, _), categories in zip(batch, flags, strict=True):
                if categories:
                    reason = f"the moderation service flagged it ({', '.join(categories)})"
                    return ContentVerdict(allowed=False, field=name, reason=reason, checks=checks)
        return ContentVerdict(allowed=True, checks=checks)


def refuse_if_blocked(verdict: ContentVerdict | None) -> None:
    """Answer a refused run (its decision is recorded already) with what to change."""
    if verdict is None or verdict.allowed:
        return
    raise ContentBlocked(
        f"{verdict.field}: {verdict.reason}; change it and try again",
        {"field": verdict.field, "reason": verdict.reason, "checks": list(verdict.checks)},
    )
