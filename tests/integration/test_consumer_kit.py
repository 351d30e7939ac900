"""The consumer kit (``vp-events``) as another team runs it: a process following completed
stories through a durable consumer, killed mid-pipeline and started again, gets the story that
completed while it was down, once, and nothing it had already acknowledged."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from nats.aio.client import Client
from vp_contracts.values import Stage
from vp_devtools import devnats
from vp_runtime.eventstore import EventStore
from vp_runtime.messaging.topology import Topology

from tests.support.facts import Driver

pytestmark = pytest.mark.integration

DURABLE = "kit-test"


class Follower:
    """A ``vp-events`` process and the JSON lines it printed."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process

    async def line(self, timeout: float = 20) -> dict[str, Any]:
        assert self.process.stdout is not None
        raw = await asyncio.wait_for(self.process.stdout.readline(), timeout)
        assert raw, "vp-events exited"
        found: dict[str, Any] = json.loads(raw)
        return found


@asynccontextmanager
async def following(
    server: devnats.NatsServerProcess, topology: Topology
) -> AsyncIterator[Follower]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "vp_events",
        "--durable",
        DURABLE,
        "--subject",
        f"{topology.root}.story.*.completed",
        "--stream",
        topology.story_stream,
        "--from-start",
        env={**os.environ, "NATS_URL": server.url},
        stdout=asyncio.subprocess.PIPE,
    )
    try:
        yield Follower(process)
    finally:
        if process.returncode is None:
            process.kill()
        await process.wait()


async def acknowledged(nc: Client, topology: Topology) -> None:
    """Wait until the consumer has nothing delivered and unacknowledged."""
    js = nc.jetstream()
    for _ in range(100):
        info = await js.consumer_info(topology.story_stream, DURABLE)
        if info.num_ack_pending == 0 and info.delivered.stream_seq > 0:
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"still unacknowledged: {info}")


async def test_a_restarted_follower_gets_what_completed_while_it_was_down_once(
    nats_server: devnats.NatsServerProcess, nats_client: Client, topology: Topology
) -> None:
    driver = Driver(EventStore(nats_client, topology, source="/tests"))
    first = await driver.created(language="ko", title="여우와 등불")
    await driver.planned(first)
    await driver.generated(first, Stage.PREVIEW)
    await driver.generated(first, Stage.RENDER)

    async with following(nats_server, topology) as follower:
        seen = await follower.line()
        assert (seen["story_id"], seen["type"]) == (first, "vp.story.completed.v1")
        assert seen["event"]["media"]["video_key"].endswith("out.mp4")
        await acknowledged(nats_client, topology)
        second = await driver.created()
        await driver.planned(second)
        await driver.generated(second, Stage.PREVIEW)
        follower.process.kill()  # mid-pipeline: the second story is not rendered yet

    await driver.generated(second, Stage.RENDER)  # completes while nobody follows

    async with following(nats_server, topology) as follower:
        seen = await follower.line()
        assert (seen["story_id"], seen["type"]) == (second, "vp.story.completed.v1")
        assert seen["sequence"] > 0
        await acknowledged(nats_client, topology)
        with pytest.raises(TimeoutError):  # the first story is not delivered again
            await follower.line(timeout=2)
