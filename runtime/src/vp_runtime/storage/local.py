"""The local backend: a directory, written atomically, with HMAC-signed links."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import tempfile
import time
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote, urlencode

from vp_runtime.storage.port import DEFAULT_LINK_LIFETIME, MissingObject, Storage, check_key
from vp_runtime.storage.signer import MediaRoute, UrlSigner

STALE_PARTIAL_SECONDS = 3600.0
"""A local partial write this old was left by a killed process (see ``sweep_partial``)."""


class LocalStorage(Storage):
    """A directory; links point at the gateway's ``/media/`` route."""

    def __init__(self, root: Path, public_url: str, signer: UrlSigner) -> None:
        self.root = root
        self._public_url = public_url.rstrip("/")
        self._signer = signer
        self._route = MediaRoute(public_url, signer)

    def path(self, key: str) -> Path:
        return self.root / check_key(key)

    async def prepare(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        await asyncio.to_thread(self.sweep_partial, STALE_PARTIAL_SECONDS)

    def sweep_partial(self, older_than: float) -> int:
        """Delete partial writes older than ``older_than`` seconds; how many were deleted.

        A write goes to a hidden ``.part`` file that becomes the object only when complete;
        a process killed mid-write leaves that file behind (never a broken object).
        """
        cutoff = time.time() - older_than
        swept = 0
        for partial in self.root.rglob(".*.part"):
            with contextlib.suppress(FileNotFoundError):  # finished or swept meanwhile
                if partial.stat().st_mtime <= cutoff:
                    partial.unlink()
                    swept += 1
        return swept

    async def put_file(self, key: str, path: Path, content_type: str) -> int:
        return await asyncio.to_thread(self._put, key, lambda out: shutil.copyfile(path, out))

    async def put_bytes(self, key: str, data: bytes, content_type: str) -> int:
        return await asyncio.to_thread(self._put, key, lambda out: Path(out).write_bytes(data))

    def _put(self, key: str, write: object) -> int:
        target = self.path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(
            dir=target.parent, prefix=f".{target.name}.", suffix=".part"
        )
        os.close(fd)
        try:
            write(temporary)  # type: ignore[operator]
            os.replace(temporary, target)
        finally:
            if os.path.exists(temporary):
                os.unlink(temporary)
        return target.stat().st_size

    async def get_bytes(self, key: str) -> bytes:
        try:
            return await asyncio.to_thread(self.path(key).read_bytes)
        except FileNotFoundError:
            raise MissingObject(key) from None

    async def head(self, key: str, size: int) -> bytes:
        def read() -> bytes:
            with self.path(key).open("rb") as source:
                return source.read(size)

        try:
            return await asyncio.to_thread(read)
        except FileNotFoundError:
            raise MissingObject(key) from None

    async def download(self, key: str, path: Path) -> None:
        source = self.path(key)
        if not source.exists():
            raise MissingObject(key)
        await asyncio.to_thread(_atomic_copy, source, path)

    async def size(self, key: str) -> int | None:
        try:
            return self.path(key).stat().st_size
        except FileNotFoundError:
            return None

    def url(self, key: str, lifetime: timedelta = DEFAULT_LINK_LIFETIME) -> str:
        return self._route.url(check_key(key), lifetime)

    def upload_url(self, key: str, lifetime: timedelta, max_bytes: int) -> str:
        """A link to the gateway's ``PUT /media/...``, signed for that method, key, expiry and
        size limit (the gateway stops reading past ``max_bytes``)."""
        expires = int(time.time() + lifetime.total_seconds())
        signed = upload_claim(check_key(key), max_bytes)
        query = urlencode(
            {
                "expires": expires,
                "max_bytes": max_bytes,
                "signature": self._signer.signature(signed, expires),
            }
        )
        return f"{self._public_url}/{quote(key)}?{query}"

    async def delete(self, key: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            await asyncio.to_thread(self.path(key).unlink)

    async def put_stream(self, key: str, chunks: AsyncIterator[bytes], max_bytes: int) -> int:
        """Store what ``chunks`` yields under ``key`` atomically, refusing more than
        ``max_bytes`` (:class:`TooLarge`, nothing stored); returns the size."""
        target = self.path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(
            dir=target.parent, prefix=f".{target.name}.", suffix=".part"
        )
        size = 0
        try:
            with os.fdopen(fd, "wb") as out:
                async for chunk in chunks:
                    size += len(chunk)
                    if size > max_bytes:
                        raise TooLarge(max_bytes)
                    out.write(chunk)
            os.replace(temporary, target)
        except BaseException:  # a partial or refused upload never becomes the object
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temporary)
            raise
        return size


class TooLarge(ValueError):
    """An upload past its size limit."""

    def __init__(self, max_bytes: int) -> None:
        super().__init__(f"the file is larger than {max_bytes} bytes")
        self.max_bytes = max_bytes


def upload_claim(key: str, max_bytes: int) -> str:
    """What an upload link signs: the method, the key and the size limit (a download link's
    signature never works for an upload, nor one upload's for a larger file)."""
    return f"PUT\n{key}\n{max_bytes}"


def _atomic_copy(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
    os.close(fd)
    try:
        shutil.copyfile(source, temporary)
        os.replace(temporary, target)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)
