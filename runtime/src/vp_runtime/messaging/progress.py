"""Progress ticks on plain NATS (``vp.progress.<story_id>``): not facts, not stored."""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass
from datetime import UTC, datetime

from nats.aio.client import Client
from vp_contracts.subjects import Subjects

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Playable:
    """How much of a video still being rendered plays already: its HLS event playlist."""

    playlist_key: str
    seconds: float
    """Length of the segments stored so far."""
    segments: int
    ended: bool
    """The playlist is complete (the whole video plays)."""


class Progress:
    def __init__(self, client: Client, subjects: Subjects, service: str) -> None:
        self._client = client
        self._subjects = subjects
        self._service = service

    async def tick(
        self,
        story_id: str,
        attempt_id: str,
        stage: str,
        percent: float,
        message: str,
        job_id: str | None = None,
        playable: Playable | None = None,
    ) -> None:
        """Publish one tick; losing one is harmless, so errors are only logged. One saying
        what plays already is flushed at once (a player waits for it)."""
        body: dict[str, object] = {
            "story_id": story_id,
            "attempt_id": attempt_id,
            "job_id": job_id or attempt_id,
            "stage": stage,
            "percent": round(max(0.0, min(100.0, percent)), 1),
            "message": message,
            "service": self._service,
            "at": datetime.now(UTC).isoformat(),
        }
        if playable is not None:
            body["playable"] = asdict(playable)
        try:
            await self._client.publish(self._subjects.progress(story_id), json.dumps(body).encode())
            if playable is not None:
                await self._client.flush()
        except Exception:  # a tick is best effort
            log.debug("progress tick for %s not sent", story_id, exc_info=True)
