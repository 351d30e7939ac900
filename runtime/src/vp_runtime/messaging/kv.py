"""A declared JetStream key-value bucket, bound on first use, with compare-and-set writes that
answer None instead of raising when another writer got there first."""

from __future__ import annotations

from nats.js.client import JetStreamContext
from nats.js.errors import KeyNotFoundError, KeyWrongLastSequenceError
from nats.js.kv import KeyValue


class Bucket:
    def __init__(self, js: JetStreamContext, name: str) -> None:
        self._js = js
        self.name = name
        self._kv: KeyValue | None = None

    async def _bound(self) -> KeyValue:
        if self._kv is None:
            self._kv = await self._js.key_value(self.name)
        return self._kv

    async def get(self, key: str) -> KeyValue.Entry | None:
        """The entry under ``key``, None when there is none (or it was deleted)."""
        try:
            return await (await self._bound()).get(key)
        except KeyNotFoundError:
            return None

    async def put(self, key: str, value: bytes) -> int:
        return await (await self._bound()).put(key, value)

    async def create(self, key: str, value: bytes) -> int | None:
        """Write ``key`` only if it does not exist; its revision, or None if it does."""
        try:
            return await (await self._bound()).create(key, value)
        except KeyWrongLastSequenceError:
            return None

    async def update(self, key: str, value: bytes, last: int) -> int | None:
        """Write ``key`` only if it is still at revision ``last``; the new revision, or None."""
        try:
            return await (await self._bound()).update(key, value, last=last)
        except KeyWrongLastSequenceError:
            return None

    async def delete(self, key: str, last: int | None = None) -> None:
        await (await self._bound()).delete(key, last=last)
