"""Submit-and-poll providers: record the job id, poll with heartbeats, resume after a restart."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

from vp_runtime.providers.base import ProviderUnavailable
from vp_runtime.providers.journal import CallJournal

Submit = Callable[[], Awaitable[str]]
Poll = Callable[[str], Awaitable[str | None]]
"""Returns the output URL when done, None while running; raises when the job failed."""


async def submit_or_resume(
    journal: CallJournal,
    call_key: str,
    provider: str,
    submit: Submit,
    poll: Poll,
    *,
    interval: float,
    timeout: float,  # noqa: ASYNC109 - a deadline for the provider's job, not for one await
) -> tuple[str, str]:
    """``(provider_job_id, output_url)``. A job already in the journal is polled, not paid again."""
    job_id = await journal.find(call_key)
    if job_id is None:
        job_id = await submit()
        await journal.record(call_key, provider, job_id)
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
