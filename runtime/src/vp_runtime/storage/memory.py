"""Storage in a dictionary, for unit tests of service layers (same key rules, same errors)."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

from vp_runtime.storage.port import DEFAULT_LINK_LIFETIME, MissingObject, Storage, check_key


class InMemoryStorage(Storage):
    def __init__(self) -> None:
        self.objects: dict[str, tuple[bytes, str]] = {}
        """key -> (bytes, content type)"""

    async def prepare(self) -> None:
        return None

    async def put_file(self, key: str, path: Path, content_type: str) -> int:
        return await self.put_bytes(key, await asyncio.to_thread(path.read_bytes), content_type)

    async def put_bytes(self, key: str, data: bytes, content_type: str) -> int:
        self.objects[check_key(key)] = (bytes(data), content_type)
        return len(data)

    async def get_bytes(self, key: str) -> bytes:
        try:
            return self.objects[check_key(key)][0]
        except KeyError:
            raise MissingObject(key) from None

    async def head(self, key: str, size: int) -> bytes:
        return (await self.get_bytes(key))[:size]

    async def download(self, key: str, path: Path) -> None:
        data = await self.get_bytes(key)
        await asyncio.to_thread(path.write_bytes, data)

    async def size(self, key: str) -> int | None:
        found = self.objects.get(check_key(key))
        return None if found is None else len(found[0])

    def url(self, key: str, lifetime: timedelta = DEFAULT_LINK_LIFETIME) -> str:
        return f"memory://{check_key(key)}?lifetime={int(lifetime.total_seconds())}"

    def upload_url(self, key: str, lifetime: timedelta, max_bytes: int) -> str:
        return f"memory://{check_key(key)}?upload=1&max={max_bytes}"

    async def delete(self, key: str) -> None:
        self.objects.pop(check_key(key), None)
