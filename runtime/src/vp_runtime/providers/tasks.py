"""Submit-and-poll providers: record the job id, poll with heartbeats, resume after a restart."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable

from vp_runtime.providers.base import ProviderUnavailable
from vp_runtime.providers.journal import CallJournal

log = logging.getLogger(__name__)

Submit = Callable[[], Awaitable[str]]
Poll = Callable[[str], Awaitable[str | None]]
"""Returns the output URL when done, None while running; raises when the job failed."""
FindSubmitted = Callable[[float], Awaitable[str | None]]
"""The provider's job for this call made since the given Unix time, if the provider has one."""
RECORD_TRIES = 10
RECORD_PAUSE = 1.0
"""A job id that cannot be written (NATS restarting) is tried again for about 10 s."""


async def submit_or_resume(
    journal: CallJournal,
    call_key: str,
    provider: str,
    submit: Submit,
    poll: Poll,
    *,
    interval: float,
    timeout: float,  # noqa: ASYNC109 - a deadline for the provider's job, not for one await
    find_submitted: FindSubmitted | None = None,
) -> tuple[str, str]:
    """``(provider_job_id, output_url)``. A job already in the journal is polled, not paid again;
    so is one a dead worker submitted without living to record it, when the provider can list
    its jobs (``find_submitted``)."""
    entry = await journal.entry(call_key)
    job_id = entry.provider_job_id if entry else None
    if job_id is None and entry is not None and entry.submitting_since is not None:
        if find_submitted is None:
            log.warning(
                "%s: a worker that died may have submitted call %s already; %s cannot be asked, "
                "so it is submitted again",
                provider,
                call_key,
                provider,
            )
        else:
            job_id = await find_submitted(entry.submitting_since)
            if job_id is not None:
                log.info(
                    "%s: call %s was submitted as job %s before a restart",
                    provider,
                    call_key,
                    job_id,
                )
                await _record(journal, call_key, provider, job_id)
    if job_id is None:
        await journal.intend(call_key, provider)
        try:
            job_id = await submit()
        except ProviderUnavailable:
            raise  # no answer, or a 5xx: the job may exist, so the intent stays
        except Exception:
            with contextlib.suppress(Exception):  # a stale intent costs one lookup later
                await journal.forget(call_key)  # the provider answered no: nothing was made
            raise
        await _record(journal, call_key, provider, job_id)
    deadline = time.monotonic() + timeout
    try:
        while True:
            output = await poll(job_id)
            if output is not None:
                return job_id, output
            if time.monotonic() > deadline:
                raise ProviderUnavailable(
                    f"{provider} job {job_id} did not finish within {timeout:.0f}s"
                )
            await asyncio.sleep(interval)
    except ProviderUnavailable:
        raise  # still running or unreachable: a retry resumes polling the same job
    except Exception:
        await journal.forget(call_key)  # the job failed: a retry submits a new one
        raise


async def _record(journal: CallJournal, call_key: str, provider: str, job_id: str) -> None:
    """Write the paid job's id, riding out a NATS restart; past that, poll without it (the
    intent in the journal still lets a successor find the job)."""
    for attempt in range(1, RECORD_TRIES + 1):
        try:
            await journal.record(call_key, provider, job_id)
            return
        except Exception as error:  # NATS reconnecting
            if attempt == RECORD_TRIES:
                log.warning(
                    "%s: could not record job %s of %s: %s", provider, job_id, call_key, error
                )
                return
            await asyncio.sleep(RECORD_PAUSE)
