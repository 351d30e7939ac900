"""The storage port: where generated assets and videos live, and what a key may be.

Writes are atomic (a reader sees the whole object or nothing). Download links expire.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from datetime import timedelta
from pathlib import Path

_KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,511}$")
DEFAULT_LINK_LIFETIME = timedelta(hours=6)


def asset_key(owner_id: str, asset_id: str) -> str:
    """Where a creator's uploaded file is stored (every service derives it from the story's
    owner and the asset's id)."""
    return check_key(f"assets/{owner_id}/{asset_id}")


class MissingObject(KeyError):
    """No object with that key."""


def check_key(key: str) -> str:
    """Keys are relative paths of safe characters, never climbing out with '..'."""
    if not _KEY.fullmatch(key) or ".." in key.split("/") or "//" in key:
        raise ValueError(f"bad storage key {key!r}")
    return key


class Storage(ABC):
    """Where generated assets and videos live."""

    @abstractmethod
    async def prepare(self) -> None:
        """Create the bucket or directory if missing."""

    @abstractmethod
    async def put_file(self, key: str, path: Path, content_type: str) -> int:
        """Store a file under ``key`` atomically; returns its size."""

    @abstractmethod
    async def put_bytes(self, key: str, data: bytes, content_type: str) -> int:
        """Store bytes under ``key`` atomically; returns the size."""

    @abstractmethod
    async def get_bytes(self, key: str) -> bytes:
        """The object's bytes; raises :class:`MissingObject`."""

    @abstractmethod
    async def head(self, key: str, size: int) -> bytes:
        """The object's first ``size`` bytes (fewer if it is shorter); raises
        :class:`MissingObject`."""

    @abstractmethod
    async def download(self, key: str, path: Path) -> None:
        """Copy the object to ``path`` (atomically); raises :class:`MissingObject`."""

    @abstractmethod
    async def size(self, key: str) -> int | None:
        """Size in bytes, or None when there is no such object."""

    async def exists(self, key: str) -> bool:
        return await self.size(key) is not None

    @abstractmethod
    def url(self, key: str, lifetime: timedelta = DEFAULT_LINK_LIFETIME) -> str:
        """A download link that stops working after ``lifetime``."""

    @abstractmethod
    def upload_url(self, key: str, lifetime: timedelta, max_bytes: int) -> str:
        """A link a client PUTs one file to (``key``), working for ``lifetime``. Whether the
        size limit is enforced while uploading depends on the backend: check the stored size
        afterwards."""

    @abstractmethod
    async def delete(self, key: str) -> None:
        """Remove the object if it is there."""
