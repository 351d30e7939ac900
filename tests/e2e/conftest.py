from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from vp_devtools import devnats

from tests.support.gateway import RunningGateway, running_gateway


@pytest.fixture(scope="module")
async def gateway(
    nats_server: devnats.NatsServerProcess, database_url: str
) -> AsyncIterator[RunningGateway]:
    async with running_gateway(nats_server, database_url) as running:
        yield running


@pytest.fixture
async def token(gateway: RunningGateway) -> str:
    return await gateway.user()
