"""Folded-view snapshots in a JetStream key-value bucket (one key per story)."""

from __future__ import annotations

import logging

from nats.js.client import JetStreamContext
from nats.js.errors import KeyNotFoundError
from nats.js.kv import KeyValue
from vp_contracts.story import snapshot
from vp_contracts.story.view import StoryView

log = logging.getLogger(__name__)


class SnapshotStore:
    """Get and put snapshots; a missing or outdated snapshot is simply None."""

    def __init__(self, js: JetStreamContext, bucket: str) -> None:
        self._js = js
        self._bucket = bucket
        self._kv: KeyValue | None = None

    async def _store(self) -> KeyValue:
        if self._kv is None:
            self._kv = await self._js.key_value(self._bucket)
        return self._kv

    async def get(self, story_id: str) -> StoryView | None:
        try:
            entry = await (await self._store()).get(story_id)
        except KeyNotFoundError:
            return None
        return snapshot.load(entry.value) if entry.value else None

    async def put(self, view: StoryView) -> None:
        await (await self._store()).put(view.story_id, snapshot.dump(view))
