"""A process told to stop stops: one whose shutdown hangs exits on its own after the deadline
(exit code 3, an error line), one that stops in time exits normally at once."""

from __future__ import annotations

import signal
import subprocess
import sys
import time

SCRIPT = """
import asyncio, sys
from vp_runtime.aio import until_stopped

async def main(hang):
    # Runs once until_stopped has its signal handlers and waits.
    asyncio.get_running_loop().call_soon(lambda: print("ready", flush=True))
    await until_stopped(deadline=0.5)
    if hang:
        await asyncio.Event().wait()  # a shutdown that never finishes

asyncio.run(main(sys.argv[1] == "hang"))
"""


def _stopped(mode: str) -> tuple[int, float, str]:
    process = subprocess.Popen(
        [sys.executable, "-c", SCRIPT, mode],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None and process.stdout.readline().strip() == "ready"
    started = time.monotonic()
    process.send_signal(signal.SIGTERM)
    _, errors = process.communicate(timeout=20)
    return process.returncode, time.monotonic() - started, errors


def test_a_shutdown_that_hangs_ends_after_the_deadline() -> None:
    code, _, errors = _stopped("hang")
    assert code == 3
    assert "still stopping" in errors


def test_a_shutdown_in_time_exits_normally() -> None:
    code, _, errors = _stopped("stop")
    assert code == 0, errors
