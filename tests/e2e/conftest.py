from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest
from vp_devtools import devnats

from tests.support.gateway import RunningGateway, running_gateway
from tests.support.stack import Stack, local_stack


@pytest.fixture(scope="module")
async def gateway(
    nats_server: devnats.NatsServerProcess, database_url: str
) -> AsyncIterator[RunningGateway]:
    async with running_gateway(nats_server, database_url) as running:
        yield running


@pytest.fixture
async def token(gateway: RunningGateway) -> str:
    return await gateway.user()


@pytest.fixture(scope="package")
def shared_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """The local stack with its defaults, started once for the end-to-end tests that need no
    settings of their own (the demo's, the studio's); each of them uses users of its own."""
    with local_stack(tmp_path_factory.mktemp("stack")) as running:
        yield running
