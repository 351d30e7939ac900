"""The journal of paid asynchronous calls: the provider's job id is written down before we
poll it, so a worker that restarts resumes polling instead of paying for the call again."""

from __future__ import annotations

import json

from nats.js.client import JetStreamContext
from nats.js.errors import KeyNotFoundError
from nats.js.kv import KeyValue


class CallJournal:
    def __init__(self, js: JetStreamContext, bucket: str) -> None:
        self._js = js
        self._bucket = bucket
        self._kv: KeyValue | None = None

    async def _store(self) -> KeyValue:
        if self._kv is None:
            self._kv = await self._js.key_value(self._bucket)
        return self._kv

    async def find(self, call_key: str) -> str | None:
        """The provider job id recorded for this call, if any."""
        try:
            entry = await (await self._store()).get(call_key)
        except KeyNotFoundError:
            return None
        if not entry.value:
            return None
        return str(json.loads(entry.value)["provider_job_id"])

    async def record(self, call_key: str, provider: str, provider_job_id: str) -> None:
        value = json.dumps({"provider": provider, "provider_job_id": provider_job_id}).encode()
        await (await self._store()).put(call_key, value)

    async def forget(self, call_key: str) -> None:
        """After a provider job failed: the next attempt submits a new one."""
        await (await self._store()).delete(call_key)
