"""Snapshots of folded Story views, so long logs need not be replayed from the start.

A snapshot is only a cache of ``fold(log[:version])``. It records the revision of the fold
code that made it; after any change to the fold, the events or the value objects, the
revision changes and old snapshots are ignored (the story is replayed from the log).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from pydantic import TypeAdapter, ValidationError

from vp_contracts import envelope, values
from vp_contracts.events import jobs, story
from vp_contracts.story import view
from vp_contracts.story.view import StoryView

_ADAPTER: TypeAdapter[StoryView] = TypeAdapter(StoryView)


def _revision() -> str:
    digest = hashlib.sha256()
    for module in (view, values, story, jobs, envelope):
        source = Path(module.__file__ or "")
        # A package (the view) is every module in it, not only its __init__.
        files = sorted(source.parent.glob("*.py")) if source.name == "__init__.py" else [source]
        for file in files:
            digest.update(file.read_bytes())
    return digest.hexdigest()[:16]


FOLD_REVISION = _revision()
"""Changes whenever the fold or the shapes it reads change."""


def dump(state: StoryView) -> bytes:
    """Serialise a view, tagged with the fold revision."""
    return FOLD_REVISION.encode() + b"\n" + _ADAPTER.dump_json(state)


def load(data: bytes) -> StoryView | None:
    """The view in ``data``, or None if it was made by another fold revision or is unreadable."""
    revision, _, body = data.partition(b"\n")
    if revision.decode(errors="replace") != FOLD_REVISION:
        return None
    try:
        return _ADAPTER.validate_json(body)
    except ValidationError:
        return None
