"""Small asyncio helpers of a long-running process."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from typing import Any, Generic, TypeVar

log = logging.getLogger(__name__)
T = TypeVar("T")


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


class Fresh(Generic[T]):
    """One call of ``fetch`` shared by everyone who asks while it is about to start.

    Each caller gets the answer of a call that began after it asked (never one already under
    way, which may predate what the caller knows, e.g. its own last write): callers arriving
    while a call runs wait for the next one, which starts when that call ends and answers them
    all. Under load that is one call per round trip, however many callers; alone, a caller
    waits exactly one call.
    """

    def __init__(self, fetch: Callable[[], Awaitable[T]]) -> None:
        self._fetch = fetch
        self._next: asyncio.Future[T] | None = None
        self._running: asyncio.Task[None] | None = None

    async def __call__(self) -> T:
        if self._next is None:
            self._next = asyncio.get_running_loop().create_future()
            self._next.add_done_callback(_retrieved)
            if self._running is None:
                self._running = asyncio.get_running_loop().create_task(self._calls())
        return await asyncio.shield(self._next)

    async def _calls(self) -> None:
        try:
            while self._next is not None:
                answer, self._next = self._next, None
                try:
                    answer.set_result(await self._fetch())
                except Exception as error:  # every waiter of this call gets it
                    answer.set_exception(error)
        finally:
            self._running = None


def _retrieved(future: asyncio.Future[Any]) -> None:
    """Mark an exception as seen (all its waiters may have been cancelled)."""
    if not future.cancelled():
        future.exception()
