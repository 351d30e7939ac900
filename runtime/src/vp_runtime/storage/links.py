"""Download links for API answers, signed once per object and handed out again while they
still have most of their life.

Signing is not free (an S3 presigned URL is several HMACs and a canonical request; a list page
of finished stories holds hundreds of links), and the same objects are linked again on every
poll. A link is reused until half its lifetime has passed, so every link handed out is good
for at least ``lifetime / 2``. Playlists (``.m3u8``) are linked to the gateway's ``/media/``
route whatever the backend: it serves them with a link per file they name.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from datetime import timedelta
from typing import overload

from vp_runtime.storage.port import Storage
from vp_runtime.storage.signer import MediaRoute


class SignedLinks:
    def __init__(
        self,
        storage: Storage,
        lifetime: timedelta,
        playlists: MediaRoute | None = None,
        *,
        size: int = 100_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._storage = storage
        self._playlists = playlists
        self._lifetime = lifetime
        self._reuse_for = lifetime.total_seconds() / 2
        self._size = size
        self._clock = clock
        self._links: OrderedDict[str, tuple[float, str]] = OrderedDict()

    @overload
    def __call__(self, key: str) -> str: ...

    @overload
    def __call__(self, key: None) -> None: ...

    def __call__(self, key: str | None) -> str | None:
        """A link to ``key`` valid for at least half the lifetime (None for no key, and for
        the empty one, which names nothing that can be stored)."""
        if not key:
            return None
        now = self._clock()
        signed = self._links.pop(key, None)
        if signed is None or now - signed[0] >= self._reuse_for:
            signer = self._playlists if self._playlists and key.endswith(".m3u8") else self._storage
            signed = (now, signer.url(key, self._lifetime))
        self._links[key] = signed
        if len(self._links) > self._size:
            self._links.popitem(last=False)
        return signed[1]
