"""Folded-view snapshots in a JetStream key-value bucket (one key per story)."""

from __future__ import annotations

from nats.js.client import JetStreamContext
from vp_contracts.story import snapshot
from vp_contracts.story.view import StoryView

from vp_runtime.messaging.kv import Bucket


class SnapshotStore:
    """Get and put snapshots; a missing or outdated snapshot is simply None."""

    def __init__(self, js: JetStreamContext, bucket: str) -> None:
        self._bucket = Bucket(js, bucket)

    async def get(self, story_id: str) -> StoryView | None:
        entry = await self._bucket.get(story_id)
        return snapshot.load(entry.value) if entry is not None and entry.value else None

    async def put(self, view: StoryView) -> None:
        await self._bucket.put(view.story_id, snapshot.dump(view))
