"""``vp-smoke``, the production overlay's post-deploy check, against a running gateway: every
check holds on a healthy deployment (the studio built, as `make test` builds it), and a wrong
address fails it, naming the check."""

from __future__ import annotations

import asyncio
import sys

import pytest

from tests.support.gateway import RunningGateway

pytestmark = pytest.mark.e2e


async def smoke(*args: str) -> tuple[int, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "vp_runtime.smoke", *args, stdout=asyncio.subprocess.PIPE
    )
    out, _ = await process.communicate()
    return process.returncode or 0, out.decode()


async def test_a_healthy_deployment_passes_every_check(gateway: RunningGateway) -> None:
    code, out = await smoke("--api", gateway.url, "--live", gateway.url)

    assert code == 0, out
    assert out.count("ok  ") == 7 and "FAIL" not in out


async def test_an_unreachable_service_fails_the_smoke_test(gateway: RunningGateway) -> None:
    code, out = await smoke("--api", gateway.url, "--live", "http://127.0.0.1:9", "--timeout", "2")

    assert code == 1
    assert "FAIL live updates ready: http://127.0.0.1:9/readyz" in out
    assert out.count("ok  ") == 6
