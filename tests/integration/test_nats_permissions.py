"""The per-service NATS users of infra/nats/values.yaml on a real nats-server (the pinned binary).

The server runs the permissions exactly as the Helm chart renders them (passwords from the
environment). Each service may publish only its own facts, and the stages' real code paths
(appends, atomic batches, direct gets, snapshots, durable consumers, ordered consumers) work
under their own users.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from unittest import mock

import nats
import nats.errors
import pytest
from nats.aio.client import Client
from nats.js.api import ConsumerConfig
from pydantic import BaseModel
from vp_contracts.events import story as e
from vp_contracts.ids import new_id
from vp_contracts.story import commands as c
from vp_contracts.values import Stage
from vp_devtools import devnats
from vp_events import follow
from vp_runtime.capacity import Capacity
from vp_runtime.eventstore import EventStore, SnapshotStore
from vp_runtime.messaging.connection import connect
from vp_runtime.messaging.declare import declare
from vp_runtime.messaging.topology import Topology, default_topology, webhook_consumer
from vp_runtime.messaging.workqueue import WorkQueue
from vp_runtime.settings import RuntimeSettings

from tests.support import infra_nats
from tests.support.facts import Driver, meta
from tests.support.watch import drained, has, wait_for

pytestmark = pytest.mark.integration

SERVICES = ("gateway", "planner", "generator", "compositor", "upscaler", "notifier")
VIOLATION = "permissions violation"


class Job(BaseModel):
    n: int


@pytest.fixture(scope="module")
def passwords() -> dict[str, str]:
    """A test password per user, letters and digits only (as the values file asks)."""
    return {user: f"pw{uuid.uuid4().hex}" for user in infra_nats.users()}


@pytest.fixture(scope="module")
def secured_server(
    tmp_path_factory: pytest.TempPathFactory, passwords: dict[str, str]
) -> Iterator[devnats.NatsServerProcess]:
    directory = tmp_path_factory.mktemp("nats-permissions")
    config = directory / "nats.conf"
    config.write_text(infra_nats.render_conf())
    env = {variable: passwords[user] for user, variable in infra_nats.password_variables().items()}
    with mock.patch.dict(os.environ, env):  # nats-server reads them once, at start-up
        server = devnats.start(Path(directory) / "store", config_file=config)
    try:
        yield server
    finally:
        server.stop()


class Session:
    """One user's connection and the asynchronous errors the server sent it."""

    def __init__(self, user: str) -> None:
        self.user = user
        self.errors: list[str] = []
        self.client: Client | None = None

    async def on_error(self, error: Exception) -> None:
        self.errors.append(str(error))

    @property
    def nc(self) -> Client:
        assert self.client is not None
        return self.client

    def violations(self) -> list[str]:
        return [error for error in self.errors if VIOLATION in error.lower()]


Login = Callable[[str], Awaitable[Session]]


@pytest.fixture
async def login(
    secured_server: devnats.NatsServerProcess, passwords: dict[str, str]
) -> AsyncIterator[Login]:
    sessions: list[Session] = []

    async def as_user(user: str) -> Session:
        session = Session(user)
        settings = RuntimeSettings(
            nats_url=secured_server.url, nats_user=user, nats_password=passwords[user]
        )
        session.client = await connect(settings, name=f"test-{user}", error_cb=session.on_error)
        sessions.append(session)
        return session

    yield as_user
    for session in sessions:
        with contextlib.suppress(Exception):
            await session.nc.close()


@pytest.fixture
async def topology(login: Login) -> Topology:
    """The production names (root ``vp``, no prefix), declared by the ``streams`` user."""
    topology = default_topology()
    admin = await login("streams")
    report = await declare(admin.nc.jetstream(), topology)
    assert any(line.startswith("stream VP_STORY") for line in report)
    assert not admin.errors
    return topology


async def settle(session: Session) -> None:
    """Let the server's answer to everything sent so far arrive."""
    await session.nc.flush()
    await asyncio.sleep(0.2)
    await session.nc.flush()


def store_of(session: Session, topology: Topology) -> EventStore:
    js = session.nc.jetstream()
    return EventStore(
        session.nc,
        topology,
        source=f"/vp/{session.user}",
        snapshots=SnapshotStore(js, topology.snapshot_bucket),
    )


async def test_a_service_connects_only_with_its_password(
    secured_server: devnats.NatsServerProcess,
) -> None:
    with pytest.raises(nats.errors.Error, match="Authorization Violation"):
        await nats.connect(
            secured_server.url,
            user="planner",
            password="wrong",
            allow_reconnect=False,
            max_reconnect_attempts=0,
            connect_timeout=2,
        )


async def test_planner_publishes_its_own_facts_only(login: Login, topology: Topology) -> None:
    planner = await login("planner")
    admin = await login("streams")
    story = f"perm{uuid.uuid4().hex[:8]}"

    ack = await planner.nc.jetstream().publish(f"vp.story.{story}.planned", b"{}")
    assert ack.stream == "VP_STORY"
    await planner.nc.publish(f"vp.progress.{story}", b"{}")
    await settle(planner)
    assert planner.violations() == []

    for subject in (
        f"vp.story.{story}.created",
        f"vp.story.{story}.render_requested",
        f"vp.story.{story}.completed",
        "vp.jobs.scene.batch",
        "vp.dead.generator",
        "$JS.API.STREAM.DELETE.VP_STORY",
        "$JS.API.CONSUMER.MSG.NEXT.VP_STORY.compositor",
    ):
        await planner.nc.publish(subject, b"{}")
    await settle(planner)
    denied = "\n".join(planner.violations())
    for subject in (
        f"vp.story.{story}.created",
        "vp.jobs.scene.batch",
        f"vp.story.{story}.completed",
    ):
        assert f'publish to "{subject.lower()}"' in denied  # nats-py lowercases the message
    assert len(planner.violations()) == 7

    # Nothing of it reached the log: only the one allowed fact is stored for the story.
    info = await admin.nc.jetstream().stream_info("VP_STORY", subjects_filter=f"vp.story.{story}.>")
    assert info.state.subjects == {f"vp.story.{story}.planned": 1}

    # A denied JetStream request is never answered: the client times out.
    with pytest.raises((nats.errors.TimeoutError, nats.errors.NoRespondersError)):
        await planner.nc.jetstream(timeout=0.5).publish(f"vp.story.{story}.created", b"{}")


async def test_notifier_records_nothing_and_follows_the_log(
    login: Login, topology: Topology
) -> None:
    notifier = await login("notifier")
    planner = await login("planner")
    gateway = await login("gateway")

    for name in ("created", "planned", "completed", "job_started", "cost_recorded"):
        await notifier.nc.publish(f"vp.story.s1.{name}", b"{}")
    await notifier.nc.publish("vp.jobs.scene.batch", b"{}")
    await notifier.nc.publish("vp.progress.s1", b"{}")
    await settle(notifier)
    assert len(notifier.violations()) == 7

    # Progress ticks: published by the workers, received by the notifier.
    ticks: asyncio.Queue[str] = asyncio.Queue()

    async def on_tick(message: object) -> None:
        await ticks.put(message.subject)  # type: ignore[attr-defined]

    await notifier.nc.subscribe("vp.progress.*", cb=on_tick)
    await notifier.nc.flush()
    # Ticks are core NATS (at most once): even flushed, one now and then never reached the
    # subscriber here (about one run in thirty, no error anywhere). What is checked is the
    # permission, so the planner sends again until one arrives; a refused one never would.
    received = None
    for _ in range(10):
        await planner.nc.publish("vp.progress.s1", b'{"percent": 50}')
        await planner.nc.flush()
        with contextlib.suppress(TimeoutError):
            received = await asyncio.wait_for(ticks.get(), timeout=0.5)
            break
    assert received == "vp.progress.s1"

    # Facts only through JetStream, not by listening on the stream's subjects.
    before = len(notifier.violations())
    await notifier.nc.subscribe("vp.story.>")
    await settle(notifier)
    assert any("subscription to" in error for error in notifier.violations()[before:])

    # Its ordered consumers and direct gets read a story the gateway wrote.
    driver = Driver(store_of(gateway, topology))
    story_id = await driver.created()
    facts = await wait_for(notifier.nc, topology, story_id, has(e.StoryCreated), timeout=10)
    assert len(facts) == 1
    loaded = await store_of(notifier, topology).load(story_id)
    assert [type(fact.event) for fact in loaded] == [e.StoryCreated]

    # A webhook consumer of its own: declared with the topology, pulled and acked by the
    # notifier, which cannot create durable consumers itself.
    hook = webhook_consumer(topology, "perm", ("created",), attempts=3)
    hook = dataclasses.replace(hook, only_new=False)
    with pytest.raises((nats.errors.TimeoutError, nats.errors.NoRespondersError)):
        await notifier.nc.jetstream(timeout=0.5).add_consumer(hook.stream, hook.config())
    admin = await login("streams")
    await admin.nc.jetstream().add_consumer(hook.stream, hook.config())
    js = notifier.nc.jetstream(timeout=2)
    pull = await js.pull_subscribe_bind(hook.name, stream=hook.stream)
    messages = await pull.fetch(1, timeout=5)
    await messages[0].ack_sync()
    info = await js.consumer_info(hook.stream, hook.name)
    assert info.num_ack_pending == 0

    # ... but never another service's consumer.
    taken = ConsumerConfig(
        name="planner", durable_name="planner", filter_subject="vp.story.*.planning_requested"
    )
    with pytest.raises((nats.errors.TimeoutError, nats.errors.NoRespondersError)):
        await notifier.nc.jetstream(timeout=0.5).add_consumer("VP_STORY", taken)
    with pytest.raises((nats.errors.TimeoutError, nats.errors.NoRespondersError)):
        await notifier.nc.jetstream(timeout=0.5).delete_consumer("VP_STORY", "compositor-dispatch")


class PerServiceDriver(Driver):
    """Each command appended by the service that sends it."""

    def __init__(self, stores: dict[str, EventStore]) -> None:
        super().__init__(stores["gateway"])
        self.stores = stores

    async def run(self, command: c.Command, actor: str = "tests") -> object:  # type: ignore[override]
        # The driver names the stage as actor, or (for job facts) as the job's worker.
        worker = getattr(getattr(command, "event", None), "worker", None)
        stores = self.stores
        service = actor if actor in stores else worker if worker in stores else "gateway"
        return await stores[service].execute(command, meta(actor))


async def test_every_stage_records_its_facts_under_its_own_user(
    login: Login, topology: Topology
) -> None:
    """Stories through every path, each command appended by the service that sends it."""
    sessions = {service: await login(service) for service in SERVICES}
    stores = {service: store_of(session, topology) for service, session in sessions.items()}
    driver = PerServiceDriver(stores)
    head = await driver.many_lives(owners=1)
    assert head > 20

    # Snapshots: every service reads and writes the cache.
    story_id = await driver.created()
    await driver.planned(story_id)
    view = await stores["gateway"].view(story_id)
    for service, session in sessions.items():
        snapshots = SnapshotStore(session.nc.jetstream(), topology.snapshot_bucket)
        await snapshots.put(view)
        cached = await snapshots.get(story_id)
        assert cached is not None, service
        assert cached.version == view.version

    # Provider rate counters and call journal: the stages that call providers.
    for service in ("generator", "upscaler"):
        js = sessions[service].nc.jetstream()
        for bucket in (topology.rates_bucket, topology.calls_bucket):
            kv = await js.key_value(bucket)
            key = f"{service}-{uuid.uuid4().hex[:6]}"
            await kv.create(key, b"1")
            entry = await kv.get(key)
            await kv.update(key, b"2", last=entry.revision)
            await kv.delete(key)

    # The generator queues scene jobs (one more than a user's share, so one is held), pulls
    # them from its own consumer, and lets the held one in as the first finishes.
    generator = sessions["generator"]
    js = generator.nc.jetstream(timeout=2)
    queue = WorkQueue(js, topology, "scene", Capacity())
    share = queue.share("interactive")
    for n in range(share + 1):
        await queue.put(Job(n=n), "interactive", f"job-{n}-{uuid.uuid4().hex}", "owner-x")
    pull = await js.pull_subscribe_bind("generator-scenes-interactive", stream=topology.jobs_stream)
    jobs = await pull.fetch(1, timeout=5)
    await jobs[0].ack_sync()
    await queue.finished(jobs[0].subject)
    assert await queue.sweep() == 0  # the held job already moved
    for _ in range(share):
        jobs = await pull.fetch(1, timeout=5)
        await jobs[0].ack_sync()

    # The gateway reads every consumer's depth (the queue_depth metric).
    gateway_js = sessions["gateway"].nc.jetstream(timeout=2)
    for spec in topology.consumers:
        await gateway_js.consumer_info(spec.stream, spec.name)

    for service, session in sessions.items():
        await settle(session)
        assert session.violations() == [], service


async def test_the_planner_service_runs_under_its_user(
    login: Login,
    topology: Topology,
    secured_server: devnats.NatsServerProcess,
    passwords: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The real planner (FastStream pull consumer, acks, heartbeats, appends) as user planner."""
    from vp_planner.bootstrap import running
    from vp_planner.settings import PlannerSettings

    monkeypatch.delenv("VP_PROVIDERS", raising=False)
    gateway = await login("gateway")
    notifier = await login("notifier")
    admin = await login("streams")
    driver = Driver(store_of(gateway, topology))
    story_id = await driver.created()
    settings = PlannerSettings(
        nats_url=secured_server.url, nats_user="planner", nats_password=passwords["planner"]
    )
    logged = len(secured_server.log_file.read_text())
    async with running(settings):
        await driver.run(c.RequestPlanning(story_id=story_id, attempt_id=new_id()))
        facts = await wait_for(
            notifier.nc,
            topology,
            story_id,
            lambda found: has(e.StoryPlanned)(found) or has(e.PlanningFailed)(found),
            timeout=30,
        )
        assert has(e.StoryPlanned)(facts), [type(fact.event).__name__ for fact in facts]
        await drained(admin.nc, topology.story_stream, "planner", timeout=15)
    # The server logs every denied publish or subscription; none came from the planner.
    denied = [
        line
        for line in secured_server.log_file.read_text()[logged:].splitlines()
        if "Violation" in line
    ]
    assert denied == []


TEAM = "team-analytics"


async def test_an_outside_team_follows_story_facts_and_can_do_nothing_else(
    secured_server: devnats.NatsServerProcess,
    passwords: dict[str, str],
    login: Login,
    topology: Topology,
) -> None:
    """The read-only template of values.yaml: the consumer kit reads completed stories through
    the team's own durable consumer; publishing, key-value buckets, other consumers and other
    inboxes are refused."""
    sessions = {service: await login(service) for service in SERVICES}
    driver = PerServiceDriver(
        {name: store_of(session, topology) for name, session in sessions.items()}
    )
    story = await driver.created()
    await driver.planned(story)
    await driver.generated(story, Stage.PREVIEW)
    await driver.generated(story, Stage.RENDER)

    team = Session(TEAM)
    team.client = await nats.connect(
        secured_server.url,
        user=TEAM,
        password=passwords[TEAM],
        inbox_prefix=f"_INBOX_{TEAM}",
        error_cb=team.on_error,
        allow_reconnect=False,
    )
    facts = follow(team.nc, durable=TEAM, from_start=True, idle=0.5)
    async with asyncio.timeout(20):
        async for fact in facts:
            await fact.ack()
            if fact.envelope.story_id == story:
                break
    await facts.aclose()
    assert fact.envelope.type == "vp.story.completed.v1"
    assert isinstance(fact.event, e.RenderCompleted)
    await settle(team)
    assert team.violations() == []

    before = await sessions["gateway"].nc.jetstream().stream_info("VP_STORY")
    refused = [
        f"vp.story.{story}.completed",
        f"vp.story.{story}.created",
        "$KV.VP_SNAPSHOTS.x",
        "$JS.API.DIRECT.GET.VP_STORY",
        "$JS.API.DIRECT.GET.KV_VP_SNAPSHOTS.$KV.VP_SNAPSHOTS.x",
        "$JS.API.CONSUMER.MSG.NEXT.VP_STORY.planner",
        "$JS.API.CONSUMER.CREATE.VP_STORY.other-team.vp.story.*.completed",
        "$JS.API.CONSUMER.DELETE.VP_STORY.gateway-projector",
        "$JS.API.STREAM.PURGE.VP_STORY",
    ]
    for subject in refused:
        await team.nc.publish(subject, b"{}")
    for subject in ("vp.story.>", "_INBOX.>", "vp.progress.*"):
        await team.nc.subscribe(subject)
    await settle(team)

    denied = "\n".join(team.violations())
    for subject in refused:
        assert f'publish to "{subject.lower()}"' in denied, subject
    for subject in ("vp.story.>", "_inbox.>", "vp.progress.*"):
        assert f'subscription to "{subject}"' in denied, subject
    after = await sessions["gateway"].nc.jetstream().stream_info("VP_STORY")
    assert after.state.messages == before.state.messages
