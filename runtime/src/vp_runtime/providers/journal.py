"""The journal of paid calls, in a key-value bucket every replica shares.

- A lease per call (``lease.<call key>``): the worker making a paid call holds it and renews it
  while the call runs; another worker that needs the same asset (a job delivered twice after a
  NATS restart, say) waits for the result instead of paying again, and takes over only when
  the holder stopped renewing (it died).
- The provider's job id of a submit-and-poll call, written before polling, so a worker that
  restarts resumes polling instead of paying for the call again.
- Before the submit itself, the intent to submit (with its time): a worker that died with its
  submit in flight (the provider took it, the answer never arrived) leaves the intent, and its
  successor asks the provider for a job made since then before paying again.
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

from vp_runtime.messaging.kv import Bucket

log = logging.getLogger(__name__)

LEASE_SECONDS = 8.0
"""A lease not renewed for this long belongs to a worker that died."""
RENEW_SECONDS = 2.0


@dataclass(frozen=True)
class Entry:
    provider_job_id: str | None
    submitting_since: float | None
    """Unix time a worker set out to submit the call; None once its job id is recorded."""


class CallJournal:
    def __init__(self, js: JetStreamContext, bucket: str) -> None:
        self._bucket = Bucket(js, bucket)

    async def entry(self, call_key: str) -> Entry | None:
        found = await self._bucket.get(call_key)
        if found is None or not found.value:
            return None
        value = json.loads(found.value)
        job_id = value.get("provider_job_id")
        return Entry(
            str(job_id) if job_id else None,
            None if job_id else float(value.get("submitting_since", 0)),
        )

    async def find(self, call_key: str) -> str | None:
        """The provider job id recorded for this call, if any."""
        entry = await self.entry(call_key)
        return entry.provider_job_id if entry else None

    async def intend(self, call_key: str, provider: str) -> None:
        """Written just before the submit: the call may be paid from now on."""
        value = json.dumps({"provider": provider, "submitting_since": time.time()}).encode()
        await self._bucket.put(call_key, value)

    async def record(self, call_key: str, provider: str, provider_job_id: str) -> None:
        value = json.dumps({"provider": provider, "provider_job_id": provider_job_id}).encode()
        await self._bucket.put(call_key, value)

    async def forget(self, call_key: str) -> None:
        """After a provider job failed: the next attempt submits a new one."""
        await self._bucket.delete(call_key)

    async def try_lease(self, call_key: str, holder: str) -> Lease | None:
        """The lease of this call if nobody alive holds it, else None."""
        key = f"lease.{call_key}"
        value = _lease_value(holder)
        created = await self._bucket.create(key, value)
        if created is not None:
            return Lease(self._bucket, key, holder, created)
        entry = await self._bucket.get(key)
        if entry is None:
            return None  # released meanwhile: the caller looks for the result, then asks again
        held = json.loads(entry.value) if entry.value else {}
        if held and time.time() - float(held.get("at", 0)) < LEASE_SECONDS:
            return None
        assert entry.revision is not None
        # The holder died: take it over (one taker wins).
        revision = await self._bucket.update(key, value, entry.revision)
        if revision is None:
            return None
        log.info("took over the lease of call %s from %s", call_key, held.get("holder"))
        return Lease(self._bucket, key, holder, revision)


def _lease_value(holder: str) -> bytes:
    return json.dumps({"holder": holder, "at": time.time()}).encode()


@dataclass
class Lease:
    bucket: Bucket
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
            # Never wait on the renewal itself: a cancelled KV update in flight can keep its
            # task pending (seen with several workers renewing at once), and the call it
            # guards is over anyway.
            await asyncio.wait({renewer}, timeout=RENEW_SECONDS)
            with contextlib.suppress(Exception):  # an unreleased lease just expires
                await self.bucket.delete(self.key, last=self.revision)

    async def _renew(self) -> None:
        while True:
            await asyncio.sleep(RENEW_SECONDS)
            try:
                revision = await self.bucket.update(
                    self.key, _lease_value(self.holder), self.revision
                )
            except Exception as error:  # NATS reconnecting: try again at the next beat
                log.debug("could not renew %s: %s", self.key, error)
                continue
            if revision is None:
                log.warning("lost the lease %s to another worker", self.key)
                return
            self.revision = revision
