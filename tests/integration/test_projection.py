"""The read model: a projector killed mid-stream (between or inside its batches) and
restarted, and a rebuild from zero, give identical tables."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from nats.aio.client import Client
from sqlalchemy import text
from vp_gateway.adapters.db.engine import make_engine, upgrade_async
from vp_gateway.adapters.db.readmodel import ReadModel
from vp_runtime.eventstore import EventStore
from vp_runtime.messaging.topology import PROJECTOR_BATCH, Topology
from vp_runtime.settings import RuntimeSettings

from tests.support.facts import Driver
from tests.support.servers import fresh_schema

pytestmark = pytest.mark.integration


def _projector(settings: RuntimeSettings, database_url: str) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "VP_NATS_URL": settings.nats_url,
        "VP_SUBJECT_ROOT": settings.subject_root,
        "VP_STREAM_PREFIX": settings.stream_prefix,
        "VP_DATABASE_URL": database_url,
    }
    gateway = Path(sys.executable).parent / "vp-gateway"
    return subprocess.Popen(
        [str(gateway), "project"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )


async def test_a_killed_projector_resumes_and_matches_a_rebuild(
    nats_client: Client, topology: Topology, settings: RuntimeSettings, database_url: str
) -> None:
    store = EventStore(nats_client, topology, source="/tests")
    head = await Driver(store).many_lives(owners=25)  # about 1,250 facts: three batches
    assert head > 2 * PROJECTOR_BATCH

    with fresh_schema(database_url) as live_url, fresh_schema(database_url) as rebuilt_url:
        await upgrade_async(live_url)
        engine, sessions = make_engine(live_url)
        live = ReadModel(sessions)

        first = _projector(settings, live_url)
        try:
            while (position := await live.position()) < PROJECTOR_BATCH:
                assert first.poll() is None, "the projector stopped by itself"
                await asyncio.sleep(0.01)
        finally:
            first.send_signal(signal.SIGKILL)
            first.wait()
        assert position < head, "killed too late to be mid-stream"

        second = _projector(settings, live_url)
        try:
            assert await live.wait_for(head, timeout=60), "the restarted projector did not catch up"
        finally:
            second.terminate()
            second.wait()

        await upgrade_async(rebuilt_url)
        rebuilt_engine, rebuilt_sessions = make_engine(rebuilt_url)
        rebuilt = ReadModel(rebuilt_sessions)
        count = await rebuilt.rebuild(store.replay())

        assert count == head
        live_tables, rebuilt_tables = await live.dump(), await rebuilt.dump()
        assert {name: len(rows) for name, rows in live_tables.items()} == {
            name: len(rows) for name, rows in rebuilt_tables.items()
        }
        assert live_tables == rebuilt_tables
        assert len(live_tables["jobs"]) > 20 and len(live_tables["costs"]) > 10
        await engine.dispose()
        await rebuilt_engine.dispose()


async def test_a_read_model_of_an_older_fold_is_rebuilt_not_refused(
    nats_client: Client, topology: Topology, database_url: str
) -> None:
    store = EventStore(nats_client, topology, source="/tests")
    driver = Driver(store)
    story_id = await driver.created()
    with fresh_schema(database_url) as url:
        await upgrade_async(url)
        engine, sessions = make_engine(url)
        readmodel = ReadModel(sessions)
        await readmodel.rebuild(store.replay())
        async with sessions.begin() as session:  # as an older version of the code left it
            await session.execute(text("UPDATE projection SET fold_revision = 'older-fold'"))
        assert not await readmodel.check_revision()
        assert await readmodel.rebuild(store.replay()) >= 1
        assert await readmodel.check_revision()
        page = await readmodel.stories(None, None, 10, None)
        assert [view.story_id for view, _ in page.items] == [story_id]
        await engine.dispose()


async def test_a_projector_on_a_new_database_rebuilds_it_instead_of_waiting_forever(
    nats_client: Client, topology: Topology, settings: RuntimeSettings, database_url: str
) -> None:
    """Its consumer has acknowledged every fact; an empty read model cannot go on from there."""
    store = EventStore(nats_client, topology, source="/tests")
    head = await Driver(store).many_lives(owners=2)
    with fresh_schema(database_url) as first_url, fresh_schema(database_url) as new_url:
        await upgrade_async(first_url)
        first_engine, first_sessions = make_engine(first_url)
        projector = _projector(settings, first_url)
        try:
            assert await ReadModel(first_sessions).wait_for(head, timeout=60)
        finally:
            projector.terminate()
            projector.wait()

        await upgrade_async(new_url)
        engine, sessions = make_engine(new_url)
        projector = _projector(settings, new_url)
        try:
            assert await ReadModel(sessions).wait_for(head, timeout=60), "it never caught up"
        finally:
            projector.terminate()
            projector.wait()
        assert await ReadModel(sessions).dump() == await ReadModel(first_sessions).dump()
        await engine.dispose()
        await first_engine.dispose()
