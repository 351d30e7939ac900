"""The base of every Story event."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from vp_contracts.values import Contract

TYPE_PREFIX = "vp.story"


class Event(Contract):
    """A fact in a Story's life, named in the past tense.

    ``name`` is the last token of the NATS subject (``vp.story.<story_id>.<name>``); ``version``
    is the major version carried in the CloudEvents type (``vp.story.<name>.v<version>``).
    A compatible change adds an optional field; a breaking change is a new class with
    ``version = 2`` published beside this one.
    """

    name: ClassVar[str]
    version: ClassVar[int] = 1

    story_id: str = Field(
        min_length=1, max_length=64, description="Id of the story this fact is about"
    )

    @classmethod
    def ce_type(cls) -> str:
        """The CloudEvents ``type`` attribute, e.g. ``vp.story.planned.v1``."""
        return f"{TYPE_PREFIX}.{cls.name}.v{cls.version}"
