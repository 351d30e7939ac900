"""Small asyncio helpers of a long-running process."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import threading
from collections.abc import AsyncIterator, Coroutine
from typing import Any

log = logging.getLogger(__name__)


STOP_DEADLINE_SECONDS = 60.0
"""How long a process may take to stop after SIGINT or SIGTERM before it exits anyway."""


async def until_stopped(deadline: float = STOP_DEADLINE_SECONDS) -> None:
    """Wait for SIGINT or SIGTERM. From then on the process has ``deadline`` seconds to hand
    its work back and close: a shutdown that hangs (a connection that never answers) ends
    with an error line and exit code 3 instead of a process that never stops."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    await stop.wait()
    watchdog = threading.Timer(deadline, _stop_now, args=(deadline,))
    watchdog.daemon = True  # a process that stopped in time exits without waiting for it
    watchdog.start()


def _stop_now(deadline: float) -> None:
    log.error("still stopping %.0fs after the stop signal: exiting now", deadline)
    logging.shutdown()
    os._exit(3)


@contextlib.asynccontextmanager
async def in_background(work: Coroutine[Any, Any, None]) -> AsyncIterator[None]:
    """Run ``work`` while the block runs; cancel it when the block ends."""
    task = asyncio.create_task(work)
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
