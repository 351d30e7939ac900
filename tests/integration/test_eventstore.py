"""The Story log on a real NATS server (the pinned 2.12+ binary)."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from nats.aio.client import Client
from vp_contracts.events import story as e
from vp_contracts.ids import event_id, new_id
from vp_contracts.story import INITIAL, IllegalTransition, fold
from vp_contracts.story import commands as c
from vp_devtools import devnats
from vp_runtime.eventstore import (
    CorruptEvent,
    DuplicateEventId,
    EventMeta,
    EventStore,
    SnapshotStore,
    WrongExpectedVersion,
)
from vp_runtime.messaging.connection import MIN_SERVER_VERSION, ServerTooOld, connect, parse_version
from vp_runtime.messaging.declare import declare
from vp_runtime.messaging.topology import Topology
from vp_runtime.settings import RuntimeSettings

from tests.support.stories import spec
from tests.support.story_log_contract import CHECKS, Check

pytestmark = pytest.mark.integration


def meta(command_id: str | None = None) -> EventMeta:
    return EventMeta(command_id=command_id or new_id(), at=datetime.now(UTC), actor="tests")


async def create(store: EventStore, story_id: str | None = None) -> str:
    story_id = story_id or new_id()
    await store.execute(c.CreateStory(story_id=story_id, owner_id="u1", spec=spec()), meta())
    return story_id


def cost(story_id: str, amount: str) -> c.RecordFact:
    fact = e.CostRecorded(
        story_id=story_id,
        attempt_id="a",
        job_id="j",
        provider="p",
        operation="image",
        units=1,
        amount=Decimal(amount),
    )
    return c.RecordFact(story_id=story_id, event=fact)


@pytest.fixture
def store(nats_client: Client, topology: Topology) -> EventStore:
    return EventStore(nats_client, topology, source="/tests")


@pytest.fixture
async def second_client(settings: RuntimeSettings) -> Client:
    client = await connect(settings, name="tests-2")
    yield client
    await client.close()


async def test_appended_facts_come_back_in_order_with_their_envelopes(store: EventStore) -> None:
    story_id = await create(store)
    outcome = await store.execute(
        c.UpdateStory(story_id=story_id, changes={"title": "Two"}), meta("cmd-2")
    )

    loaded = await store.load(story_id)

    assert [type(r.event) for r in loaded] == [e.StoryCreated, e.StoryUpdated]
    assert loaded[1].sequence == outcome.version
    assert loaded[1].envelope.causation_id == "cmd-2"
    assert loaded[1].envelope.source == "/tests"


async def test_a_missing_story_loads_empty_without_waiting(store: EventStore) -> None:
    assert await store.load(new_id()) == []
    assert await store.view(new_id()) == INITIAL
    assert await store.last_sequence(new_id()) == 0


async def test_of_two_writers_with_the_same_expected_version_exactly_one_wins(
    store: EventStore, second_client: Client, topology: Topology
) -> None:
    other = EventStore(second_client, topology, source="/tests-2")
    story_id = await create(store)
    version = (await store.view(story_id)).version

    results = await asyncio.gather(
        store.append(
            story_id, [e.StoryArchived(story_id=story_id)], expected_version=version, meta=meta()
        ),
        other.append(
            story_id, [e.StoryRestored(story_id=story_id)], expected_version=version, meta=meta()
        ),
        return_exceptions=True,
    )

    assert sorted(type(r).__name__ for r in results) == ["WrongExpectedVersion", "tuple"]
    assert len(await store.load(story_id)) == 2


async def test_concurrent_writers_retry_until_every_fact_is_in_the_log_in_order(
    store: EventStore, second_client: Client, topology: Topology
) -> None:
    other = EventStore(second_client, topology, source="/tests-2")
    story_id = await create(store)
    conflicts = 0
    original = EventStore.append

    async def counting_append(self: EventStore, *args: object, **kwargs: object) -> object:
        nonlocal conflicts
        try:
            return await original(self, *args, **kwargs)  # type: ignore[arg-type]
        except WrongExpectedVersion:
            conflicts += 1
            raise

    EventStore.append = counting_append  # type: ignore[method-assign]
    try:
        outcomes = await asyncio.gather(
            *(
                writer.execute(cost(story_id, "0.01"), meta())
                for writer in (store, other)
                for _ in range(10)
            )
        )
    finally:
        EventStore.append = original  # type: ignore[method-assign]

    loaded = await store.load(story_id)
    sequences = [r.sequence for r in loaded]
    assert sequences == sorted(sequences)
    assert len(loaded) == 21
    assert sorted(o.events[0].sequence for o in outcomes) == sequences[1:]
    assert (await other.view(story_id)).actual_cost == Decimal("0.20")
    assert conflicts > 0, "the writers should have collided at least once"


async def test_a_decision_is_made_again_on_the_reloaded_story(
    store: EventStore, second_client: Client, topology: Topology
) -> None:
    other = EventStore(second_client, topology, source="/tests-2")
    story_id = await create(store)
    await store.view(story_id)
    await other.view(story_id)  # both have folded the draft

    first = await store.execute(c.RequestPlanning(story_id=story_id, attempt_id="a1"), meta())
    # `other` still has the draft cached; its append conflicts, it reloads and the decider refuses
    with pytest.raises(IllegalTransition, match="planning"):
        await other.execute(c.RequestPlanning(story_id=story_id, attempt_id="a2"), meta())

    assert first.view.attempt is not None and first.view.attempt.id == "a1"
    assert len(await store.load(story_id)) == 2


async def test_a_retried_append_is_not_written_twice(store: EventStore) -> None:
    story_id = await create(store)
    version = (await store.view(story_id)).version
    same = meta("retried-command")
    first = await store.append(
        story_id, [e.StoryArchived(story_id=story_id)], expected_version=version, meta=same
    )

    again = await store.append(
        story_id, [e.StoryArchived(story_id=story_id)], expected_version=version, meta=same
    )

    assert again[0].sequence == first[0].sequence
    assert len(await store.load(story_id)) == 2


async def test_a_command_whose_ack_was_lost_is_recognised_and_not_applied_twice(
    store: EventStore, second_client: Client, topology: Topology
) -> None:
    story_id = await create(store)
    command = c.RequestPlanning(story_id=story_id, attempt_id="a1")
    same = meta("lost-ack")
    await store.execute(command, same)

    # A fresh process retries the same command: it must not be refused nor written again.
    fresh = EventStore(second_client, topology, source="/tests-2")
    outcome = await fresh.execute(command, same)

    assert outcome.duplicate
    assert len(await store.load(story_id)) == 2


async def test_one_command_id_on_two_stories_gives_two_facts_with_their_own_ids(
    store: EventStore,
) -> None:
    a, b = await create(store), await create(store)
    same = meta("the-same-client-key")
    first = await store.execute(c.UpdateStory(story_id=a, changes={"title": "A"}), same)
    second = await store.execute(c.UpdateStory(story_id=b, changes={"title": "B"}), same)

    assert first.events[0].envelope.id != second.events[0].envelope.id
    assert (await store.load(b))[-1].event == second.events[0].event


async def test_a_duplicate_answer_for_another_fact_is_never_reported_as_stored(
    store: EventStore, nats_client: Client, topology: Topology
) -> None:
    story_id = await create(store)
    version = (await store.view(story_id)).version
    taken = meta("taken")
    # Something else already holds the id this append will use (a collision of ids).
    squatter = event_id(story_id, taken.command_id, 0)
    await nats_client.jetstream().publish(
        topology.subjects.story_event(new_id(), "archived"),
        b"{}",
        headers={"Nats-Msg-Id": squatter},
    )
    for facts in (
        [e.StoryArchived(story_id=story_id)],
        [e.StoryArchived(story_id=story_id), e.StoryRestored(story_id=story_id)],
    ):
        with pytest.raises(DuplicateEventId, match=r"not stored|already stored"):
            await store.append(story_id, facts, expected_version=version, meta=taken)
    assert len(await store.load(story_id)) == 1


async def test_several_facts_of_one_command_are_appended_atomically(store: EventStore) -> None:
    story_id = await create(store)
    version = (await store.view(story_id)).version
    facts = [e.StoryArchived(story_id=story_id), e.StoryRestored(story_id=story_id)]

    recorded = await store.append(story_id, facts, expected_version=version, meta=meta())
    with pytest.raises(WrongExpectedVersion):
        await store.append(story_id, facts, expected_version=version, meta=meta())

    assert [r.sequence for r in recorded] == [version + 1, version + 2]
    assert len(await store.load(story_id)) == 3


async def test_a_story_of_ten_thousand_facts_replays_in_order(store: EventStore) -> None:
    story_id = await create(store)
    version = (await store.view(story_id)).version
    for _ in range(10):
        facts = [cost(story_id, "0.001").event for _ in range(1000)]
        recorded = await store.append(story_id, facts, expected_version=version, meta=meta())
        version = recorded[-1].sequence

    fresh = EventStore(store._client, store.topology, source="/tests")  # no cache
    loaded = await fresh.load(story_id)
    view = await fresh.view(story_id)

    assert len(loaded) == 10_001
    assert [r.sequence for r in loaded] == sorted(r.sequence for r in loaded)
    assert view.version == version and view.event_count == 10_001
    assert view.actual_cost == Decimal("10.000")


async def test_a_malformed_message_in_the_log_is_reported_not_skipped(
    store: EventStore, nats_client: Client, topology: Topology
) -> None:
    story_id = await create(store)
    await nats_client.jetstream().publish(
        topology.subjects.story_event(story_id, "archived"), b"not json", headers={"ce-id": "x"}
    )
    with pytest.raises(CorruptEvent, match="not a valid event"):
        await EventStore(nats_client, topology, source="/t").load(story_id)


async def test_declaring_twice_changes_nothing(nats_client: Client, topology: Topology) -> None:
    report = await declare(nats_client.jetstream(), topology)
    assert report and all(line.endswith("unchanged") for line in report)


async def test_the_story_stream_denies_deletes_and_keeps_everything(
    nats_client: Client, topology: Topology
) -> None:
    info = await nats_client.jetstream().stream_info(topology.story_stream)
    assert info.config.deny_delete and info.config.deny_purge
    assert info.config.retention == "limits"
    assert info.config.duplicate_window == 300


def test_servers_older_than_2_12_are_refused_with_a_clear_error() -> None:
    from vp_runtime.messaging.connection import check_server_version

    with pytest.raises(ServerTooOld, match=r"2\.9\.10 is too old: 2\.12\.0 or newer is required"):
        check_server_version("2.9.10")
    assert check_server_version("v2.15.1") == (2, 15, 1)


async def test_connecting_to_an_old_server_fails_at_start_up(tmp_path: Path) -> None:
    old = shutil.which("nats-server", path="/usr/sbin:/usr/bin")
    if old is None or parse_version(devnats.binary_version(Path(old))) >= MIN_SERVER_VERSION:
        pytest.skip("no older nats-server installed on this machine")
    port = devnats.free_port()
    process = subprocess.Popen(  # noqa: ASYNC220 - runs in the background, never awaited
        [old, "-a", "127.0.0.1", "-p", str(port), "-js", "-sd", str(tmp_path)]
    )
    try:
        await asyncio.sleep(0.5)
        with pytest.raises(ServerTooOld, match="too old"):
            await connect(RuntimeSettings(nats_url=f"nats://127.0.0.1:{port}"))
    finally:
        process.terminate()
        process.wait()


def test_the_pinned_server_is_new_enough(nats_server: devnats.NatsServerProcess) -> None:
    assert parse_version(nats_server.version) >= MIN_SERVER_VERSION


async def test_a_long_story_is_read_from_its_snapshot_plus_the_newer_facts(
    nats_client: Client, topology: Topology
) -> None:
    js = nats_client.jetstream()
    snapshots = SnapshotStore(js, topology.snapshot_bucket)
    writer = EventStore(nats_client, topology, source="/t", snapshots=snapshots)
    story_id = await create(writer)
    for _ in range(249):
        await writer.execute(cost(story_id, "0.01"), meta())
    await writer.flush_snapshots()

    stored = await snapshots.get(story_id)
    reader = EventStore(nats_client, topology, source="/t", snapshots=snapshots)
    view = await reader.view(story_id)

    assert stored is not None and stored.event_count == 200
    assert view == fold(await writer.load(story_id))
    assert view.actual_cost == Decimal("2.49")


async def test_a_snapshot_of_another_fold_revision_is_ignored(
    nats_client: Client, topology: Topology
) -> None:
    js = nats_client.jetstream()
    store = EventStore(nats_client, topology, source="/t")
    story_id = await create(store)
    kv = await js.key_value(topology.snapshot_bucket)
    await kv.put(story_id, b"0000000000000000\n{}")

    reader = EventStore(
        nats_client, topology, source="/t", snapshots=SnapshotStore(js, topology.snapshot_bucket)
    )

    assert (await reader.view(story_id)).event_count == 1


@pytest.mark.parametrize("check", CHECKS, ids=lambda check: check.__name__)
async def test_the_jetstream_store_keeps_the_story_log_contract(
    check: Check, store: EventStore
) -> None:
    await check(store)
