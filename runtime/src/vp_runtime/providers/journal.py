"""The journal of paid calls, in a key-value bucket every replica shares.

- A lease per call (``lease.<call key>``): the worker making a paid call holds it and renews it
  while the call runs; another worker that needs the same asset (a job delivered twice after a
  NATS restart, say) waits for the result instead of paying again, and takes over only when
  the holder stopped renewing (it died).
- The provider's job id of a submit-and-poll call, written before polling, so a worker that
  restarts resumes polling instead of paying for the call again.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass

from nats.js.client import JetStreamContext
from nats.js.errors import KeyNotFoundError, KeyWrongLastSequenceError
from nats.js.kv import KeyValue

log = logging.getLogger(__name__)

LEASE_SECONDS = 8.0
"""A lease not renewed for this long belongs to a worker that died."""
RENEW_SECONDS = 2.0


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

    async def try_lease(self, call_key: str, holder: str) -> Lease | None:
        """The lease of this call if nobody alive holds it, else None."""
        kv = await self._store()
        key = f"lease.{call_key}"
        value = _lease_value(holder)
        try:
            return Lease(kv, key, holder, await kv.create(key, value))
        except KeyWrongLastSequenceError:
            pass
        try:
            entry = await kv.get(key)
        except KeyNotFoundError:
            return None  # released meanwhile: the caller looks for the result, then asks again
        held = json.loads(entry.value) if entry.value else {}
        if held and time.time() - float(held.get("at", 0)) < LEASE_SECONDS:
            return None
        try:  # the holder died: take it over (one taker wins)
            revision = await kv.update(key, value, last=entry.revision)
        except KeyWrongLastSequenceError:
            return None
        log.info("took over the lease of call %s from %s", call_key, held.get("holder"))
        return Lease(kv, key, holder, revision)


def _lease_value(holder: str) -> bytes:
    return json.dumps({"holder": holder, "at": time.time()}).encode()


@dataclass
class Lease:
    kv: KeyValue
    key: str
    holder: str
    revision: int

    @contextlib.asynccontextmanager
    async def held(self) -> AsyncIterator[None]:
        """Renew the lease while the block runs, then release it."""
        renewer = asyncio.create_task(self._renew())
        try:
            yield
        finally:
            renewer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await renewer
            with contextlib.suppress(Exception):  # an unreleased lease just expires
                await self.kv.delete(self.key, last=self.revision)

    async def _renew(self) -> None:
        while True:
            await asyncio.sleep(RENEW_SECONDS)
            try:
                self.revision = await self.kv.update(
                    self.key, _lease_value(self.holder), last=self.revision
                )
            except KeyWrongLastSequenceError:
                log.warning("lost the lease %s to another worker", self.key)
                return
            except Exception as error:  # NATS reconnecting: try again at the next beat
                log.debug("could not renew %s: %s", self.key, error)
