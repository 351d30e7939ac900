"""Ids: random ones for new things, derived ones for things several parties must agree on.

Derived ids make retries idempotent: an event id derived from the command id is the same on
every retry (so JetStream's Nats-Msg-Id dedupe drops the copy), and a scene job's id derived
from its attempt is the same in every service without coordination.
"""

from __future__ import annotations

import re
import uuid

_UUID = re.compile(r"^[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")
_NAMESPACE = uuid.UUID("5f0c1d52-8d0e-4f5c-9a43-7e0b6c1f2a9d")


def new_id() -> str:
    """A fresh random id (UUID4, usable as a subject token)."""
    return str(uuid.uuid4())


def derived_id(*parts: str) -> str:
    """A stable id derived from ``parts`` (UUID5)."""
    return str(uuid.uuid5(_NAMESPACE, "/".join(parts)))


def event_id(story_id: str, command_id: str, index: int) -> str:
    """Id of the ``index``-th event a command produced on a story.

    The story is part of it: a command id reused on another story (a client's idempotency key,
    say) can never give two different facts one id, so JetStream's duplicate window can never
    drop a fact that was not stored.
    """
    return derived_id("event", story_id, command_id, str(index))


def scene_job_id(attempt_id: str, scene_id: str) -> str:
    """Id of the job generating one scene for one attempt."""
    return derived_id("job", attempt_id, "scene", scene_id)


def stage_job_id(attempt_id: str, kind: str) -> str:
    """Id of a per-attempt job such as ``compose`` or ``upscale``."""
    return derived_id("job", attempt_id, kind)


def check_id(value: str) -> str:
    """``value`` as an id of this system (a UUID in canonical form, lower case), or ValueError
    saying what an id looks like. Every id a client sends goes through this first."""
    if not _UUID.fullmatch(value):
        raise ValueError(
            "must be an id as this API hands them out: a UUID such as "
            "3f2c9a4e-1b7d-4c2a-9e8f-0a1b2c3d4e5f"
        )
    return value.lower()
