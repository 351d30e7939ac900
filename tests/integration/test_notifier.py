"""The notifier's live sessions and webhooks against a real NATS server."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
import uvicorn
from nats.aio.client import Client
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from vp_contracts.story import commands as c
from vp_devtools import devnats
from vp_notifier.bootstrap import running
from vp_notifier.domain import signing
from vp_notifier.service.live import Hub, Session
from vp_notifier.settings import NotifierSettings
from vp_runtime.eventstore import EventStore
from vp_runtime.messaging.broker import topology_of
from vp_runtime.messaging.connection import connect
from vp_runtime.messaging.declare import declare
from vp_runtime.messaging.topology import Topology
from vp_runtime.settings import RuntimeSettings

from tests.support.facts import Driver

pytestmark = pytest.mark.integration
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


async def _retitle(driver: Driver, story_id: str, times: int, start: int = 0) -> None:
    for index in range(start, start + times):
        await driver.run(c.UpdateStory(story_id=story_id, changes={"title": f"take {index}"}))


async def _collect(
    session: Session | AsyncIterator[dict[str, Any] | None], count: int, timeout: float = 10
) -> list[dict[str, Any]]:
    messages = session.messages(keepalive=0.2) if isinstance(session, Session) else session
    found: list[dict[str, Any]] = []
    async with asyncio.timeout(timeout):
        async for message in messages:
            if message is not None and message["type"] != "progress":
                found.append(message)
                if len(found) == count:
                    return found
    return found


async def test_a_slow_client_is_resynced_from_the_log_and_misses_nothing(
    nats_client: Client, topology: Topology
) -> None:
    store = EventStore(nats_client, topology, source="/tests")
    driver = Driver(store)
    story_id = await driver.created()
    hub = Hub(nats_client, topology)
    await hub.start()
    try:
        slow = Session(store, story_id, 0, capacity=8, link=str)
        brisk = Session(store, story_id, 0, capacity=8, link=str)
        with hub.watching(slow), hub.watching(brisk):
            reading = slow.messages(keepalive=0.2)
            got = await _collect(reading, 1)  # it has read the log and is live
            brisk_messages = asyncio.create_task(_collect(brisk, 41))
            await _retitle(driver, story_id, 40)  # the slow one reads nothing meanwhile
            quick = await brisk_messages  # the hub has handed every fact out
            got += await _collect(reading, 40)
        log = [fact.sequence for fact in await store.load(story_id)]
        assert [m["id"] for m in got] == log  # every fact once, in order
        assert [m["id"] for m in quick] == log
        assert slow.catch_ups >= 1  # its queue overflowed and it read the log again
        assert got[-1]["data"]["fact"]["spec"]["title"] == "take 39"
    finally:
        await hub.stop()


async def test_a_client_resumes_on_another_replica_exactly_after_its_last_event(
    nats_client: Client, topology: Topology, settings: RuntimeSettings
) -> None:
    store = EventStore(nats_client, topology, source="/tests")
    driver = Driver(store)
    story_id = await driver.created()
    await _retitle(driver, story_id, 5)
    log = [fact.sequence for fact in await store.load(story_id)]
    other = await connect(settings, name="replica-b")  # a second notifier process
    replica_a, replica_b = Hub(nats_client, topology), Hub(other, topology)
    await replica_a.start()
    await replica_b.start()
    try:
        first = Session(store, story_id, 0, capacity=64, link=str)
        with replica_a.watching(first):
            seen = await _collect(first, 3)  # then the connection drops
        store_b = EventStore(other, topology, source="/tests")
        resumed = Session(store_b, story_id, seen[-1]["id"], capacity=64, link=str)
        with replica_b.watching(resumed):
            replayed = await _collect(resumed, 3)
            await _retitle(driver, story_id, 2, start=5)
            live = await _collect(resumed, 2)
        after = [fact.sequence for fact in await store.load(story_id, after=log[2])]
        assert [m["id"] for m in seen] == log[:3]
        assert [m["id"] for m in replayed + live] == after
        # The status at the resume point was folded, not sent again.
        assert all(m["type"] == "log" for m in replayed + live)
    finally:
        await replica_a.stop()
        await replica_b.stop()
        await other.close()


class Receiver:
    """A webhook receiver that fails the first ``failures`` tries with 503, then checks
    signatures and keeps what it accepted."""

    def __init__(self, failures: int = 0, refuse: bool = False) -> None:
        self.failures = failures
        self.refuse = refuse
        self.tries = 0
        self.accepted: list[dict[str, Any]] = []

    async def handle(self, request: Request) -> Response:
        body = await request.body()
        self.tries += 1
        if self.refuse:
            return Response("we do not take these", status_code=400)
        if self.failures > 0:
            self.failures -= 1
            return Response("busy", status_code=503)
        try:
            signing.verify(SECRET, dict(request.headers), body, now=int(time.time()))
        except signing.BadSignature as error:
            return Response(str(error), status_code=401)
        self.accepted.append(json.loads(body))
        return Response(status_code=204)


@contextlib.asynccontextmanager
async def serving(receivers: dict[str, Receiver]) -> AsyncIterator[str]:
    port = devnats.free_port()
    app = Starlette(
        routes=[
            Route(f"/{name}", receiver.handle, methods=["POST"])
            for name, receiver in receivers.items()
        ]
    )
    server = uvicorn.Server(uvicorn.Config(app, port=port, log_level="warning", lifespan="off"))
    task = asyncio.create_task(server.serve())
    await _until(lambda: server.started)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


async def _until(check: Callable[[], bool], timeout: float = 20) -> None:
    for _ in range(int(timeout / 0.05)):
        if check():
            return
        await asyncio.sleep(0.05)
    raise TimeoutError(f"not reached within {timeout}s")


async def test_webhooks_are_signed_retried_and_delivered_once_each(
    nats_client: Client, topology: Topology, settings: RuntimeSettings
) -> None:
    store = EventStore(nats_client, topology, source="/tests")
    driver = Driver(store)
    flaky, picky, refusing = Receiver(failures=2), Receiver(), Receiver(refuse=True)
    async with serving({"flaky": flaky, "picky": picky, "refusing": refusing}) as base:
        hooks = [
            {"name": "flaky", "url": f"{base}/flaky", "secret": SECRET},
            {"name": "picky", "url": f"{base}/picky", "secret": SECRET, "events": ["updated"]},
            {"name": "refusing", "url": f"{base}/refusing", "secret": SECRET},
        ]
        notifier_settings = NotifierSettings(
            **settings.model_dump(exclude={"service_name", "webhooks", "webhook_attempts"}),
            jwt_secret="j" * 40,
            webhooks=hooks,
            webhook_first_delay_seconds=0.2,
            webhook_attempts=4,
        )
        # Each receiver's consumer is part of the topology: declared, as in production,
        # before the notifier starts.
        await declare(nats_client.jetstream(), topology_of(notifier_settings))
        async with running(notifier_settings):
            story_id = await driver.created()
            await _retitle(driver, story_id, 3)
            log = await store.load(story_id)
            await _until(lambda: len(flaky.accepted) == len(log) and len(picky.accepted) == 3)
            await _until(lambda: refusing.tries >= len(log))
            await asyncio.sleep(1)  # nothing more arrives

    assert [event["sequence"] for event in flaky.accepted] == [f.sequence for f in log]
    assert flaky.tries == len(log) + 2  # the two 503s were retried
    first = flaky.accepted[0]
    assert first["type"] == "vp.story.created.v1" and first["subject"] == story_id
    assert first["specversion"] == "1.0" and first["data"]["story_id"] == story_id
    assert [event["type"] for event in picky.accepted] == ["vp.story.updated.v1"] * 3
    assert refusing.tries == len(log)  # a 400 is not retried
    dead = await nats_client.jetstream().subscribe(
        topology.subjects.dead_letters("notifier"),
        stream=topology.dead_letter_stream,
        ordered_consumer=True,
    )
    letters = [await dead.next_msg(timeout=2) for _ in range(len(log))]
    assert {m.headers["vp-dead-kind"] for m in letters if m.headers} == {"poison"}
    assert all("answered 400" in (m.headers or {}).get("vp-dead-reason", "") for m in letters)
