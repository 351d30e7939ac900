"""A preview that plays while it renders: the compose pass also writes an HLS event playlist
(:func:`~vp_compositor.domain.timeline.compose_args` with ``live``); each segment ffmpeg lists
is stored as soon as it is listed (ffmpeg lists a segment only once it is whole, and replaces
the playlist in one rename), then the playlist, then a progress tick says how much plays."""

from __future__ import annotations

import asyncio
import contextlib
import posixpath
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

from vp_runtime.media import hls
from vp_runtime.messaging.progress import Playable
from vp_runtime.stage import Job
from vp_runtime.storage import Storage

POLL_SECONDS = 0.1


@dataclass
class LivePreview:
    storage: Storage
    job: Job
    folder: Path
    """Where ffmpeg writes ``index.m3u8`` and its segments."""
    key: str
    """Storage key of the playlist (its segments go beside it)."""
    duration: float
    stored: set[str] = field(default_factory=set)
    playable: Playable | None = None
    _seen: str = ""
    _init: bytes = b""

    async def sync(self) -> Playable | None:
        """Store what ffmpeg has listed since the last look, then the playlist; announce it."""
        try:
            text = (self.folder / "index.m3u8").read_text()
        except FileNotFoundError:
            return None  # nothing whole yet
        if text == self._seen:
            return self.playable
        init = b"".join((self.folder / uri).read_bytes() for uri in hls.maps(text))
        if init != self._init:  # a render begun again (libx264 after a failed GPU): all anew
            self.stored.clear()
            self._init = init
        parts = hls.segments(text)
        fresh = [
            uri for uri in [*hls.maps(text), *(p.uri for p in parts)] if uri not in self.stored
        ]
        base = posixpath.dirname(self.key)
        await asyncio.gather(
            *(
                self.storage.put_file(
                    f"{base}/{uri}", self.folder / uri, hls.CONTENT_TYPES[Path(uri).suffix]
                )
                for uri in fresh
            )
        )
        self.stored.update(fresh)
        await self.storage.put_bytes(self.key, text.encode(), hls.PLAYLIST_TYPE)
        self._seen = text
        seconds = round(sum(part.duration for part in parts), 3)
        self.playable = Playable(self.key, seconds, len(parts), hls.ended(text))
        share = min(1.0, seconds / self.duration) if self.duration else 1.0
        await self.job.tick(
            5 + 85 * share, f"the preview plays: {seconds:.0f} s ready", self.playable
        )
        return self.playable

    @contextlib.asynccontextmanager
    async def following(self) -> AsyncIterator[LivePreview]:
        """Store and announce segments while the block renders them into :attr:`folder`, the
        rest at its end."""
        self.folder.mkdir(exist_ok=True)

        async def follow() -> None:
            while True:
                await self.sync()
                await asyncio.sleep(POLL_SECONDS)

        task = asyncio.create_task(follow())
        try:
            yield self
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self.sync()  # the last segments and the ended playlist (only when it worked)
