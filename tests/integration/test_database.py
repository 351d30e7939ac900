"""The gateway's database plumbing on PostgreSQL: replicas that migrate at the same moment,
pooled connections that the server dropped while they were idle, the hot pages read straight
on the driver."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, func, select, text
from vp_gateway.adapters.db import engine as db
from vp_gateway.adapters.db.assets import SqlAssets
from vp_gateway.adapters.db.engine import make_engine, reading, sync_url, upgrade_async
from vp_gateway.adapters.db.readmodel.cursor import cut, keyset_params
from vp_gateway.adapters.db.readmodel.queries import story_page
from vp_gateway.adapters.db.reads import DriverReads, Reads, SessionReads, reads_for
from vp_gateway.adapters.db.tables import StoryRow
from vp_gateway.service.assets import Asset, AssetKind, AssetStatus

from tests.support.servers import fresh_schema

PENDING = AssetStatus.PENDING

pytestmark = pytest.mark.integration


def test_replicas_starting_together_migrate_one_at_a_time(database_url: str) -> None:
    with fresh_schema(database_url) as url:
        command = [str(Path(sys.executable).parent / "vp-gateway"), "migrate"]
        environment = {**os.environ, "VP_DATABASE_URL": url}
        replicas = [
            subprocess.Popen(command, env=environment, stderr=subprocess.PIPE, text=True)
            for _ in range(4)
        ]
        for replica in replicas:
            _, errors = replica.communicate(timeout=120)
            assert replica.returncode == 0, errors  # none raced another into a failure
        engine = create_engine(sync_url(url))
        try:
            with engine.connect() as connection:
                versions = connection.execute(text("SELECT * FROM alembic_version")).all()
                stories = connection.execute(text("SELECT count(*) FROM stories")).scalar()
            assert len(versions) == 1 and stories == 0
        finally:
            engine.dispose()


async def test_a_connection_dropped_while_idle_is_replaced_before_use(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(db, "IDLE_PING_SECONDS", 0.2)
    with fresh_schema(database_url) as url:
        await upgrade_async(url)
        engine, sessions = make_engine(url)
        reads = reading(sessions)
        try:
            async with reads() as session:
                pid = (await session.execute(text("SELECT pg_backend_pid()"))).scalar()
            killer, killer_sessions = make_engine(url)
            async with killer_sessions() as session:
                await session.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
            await killer.dispose()
            await asyncio.sleep(0.3)
            async with reads() as session:  # the dead connection is pinged, replaced, used
                again = (await session.execute(text("SELECT pg_backend_pid()"))).scalar()
            assert again != pid
        finally:
            await engine.dispose()


async def test_pending_uploads_are_found_by_age_in_the_assets_table(database_url: str) -> None:
    with fresh_schema(database_url) as url:
        await upgrade_async(url)
        engine, sessions = make_engine(url)
        records = SqlAssets(sessions)
        then = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
        try:
            old = Asset("a-old", "u1", AssetKind.MUSIC, "a.wav", "audio/wav", PENDING, then)
            new = replace(old, id="a-new", created_at=then + timedelta(hours=2))
            ready = replace(old, id="a-ready", status=AssetStatus.READY)
            for asset in (old, new, ready):
                await records.add(asset)
            found = await records.pending_before(then + timedelta(hours=1))
            assert [asset.id for asset in found] == ["a-old"]
            assert found[0].created_at == then
        finally:
            await engine.dispose()


async def test_a_driver_connection_dropped_while_idle_is_replaced_before_use(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(db, "IDLE_PING_SECONDS", 0.2)
    pid_query = select(func.pg_backend_pid().label("pid"))
    with fresh_schema(database_url) as url:
        await upgrade_async(url)
        engine, sessions = make_engine(url)
        try:
            async with reads_for(url, sessions, size=1) as reads:
                assert isinstance(reads, DriverReads)
                [(pid,)] = await reads.rows(pid_query, {})
                async with reading(sessions)() as session:
                    await session.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
                await asyncio.sleep(0.3)
                [(again,)] = await reads.rows(pid_query, {})  # pinged, replaced, used
            assert again != pid
        finally:
            await engine.dispose()


async def _pages(reads: Reads, owner: str | None, status: str | None) -> list[list[Any]]:
    """Every page of two stories, walking the cursors, as the read model asks for them."""
    pages, cursor = [], None
    while True:
        params = {**keyset_params(2, cursor)}
        params |= {"owner_id": owner} if owner else {}
        params |= {"status": status} if status else {}
        statement = story_page(owner is not None, status is not None, cursor is not None)
        rows, cursor = cut(list(await reads.rows(statement, params)), 2)
        pages.append([(r.id, r.version, r.view, r.stale, r.created_at) for r in rows])
        if cursor is None:
            return pages


async def test_pages_of_stories_read_on_the_driver_are_the_pages_sqlalchemy_reads(
    database_url: str, tmp_path: Path
) -> None:
    """Same rows, same order, same cursors: on PostgreSQL straight on psycopg and through
    SQLAlchemy, and on SQLite (the embedded default) through SQLAlchemy; by owner and status,
    with rows sharing a creation time (the id breaks the tie)."""
    then = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)
    rows = [
        {
            "id": f"story-{n}",
            "owner_id": "u1" if n % 3 else "u2",
            "status": "draft" if n % 2 else "completed",
            "title": f"이야기 {n}",
            "created_at": then + timedelta(minutes=n // 2),
            "updated_at": then,
            "version": n,
            "view": f'{{"n": {n}}}',
            "stale": n == 4,
        }
        for n in range(9)
    ]
    walked = []
    with fresh_schema(database_url) as url:
        for where in (url, f"sqlite+aiosqlite:///{tmp_path / 'gateway.db'}"):
            await upgrade_async(where)
            engine, sessions = make_engine(where)
            try:
                async with sessions.begin() as session:
                    session.add_all([StoryRow(**row) for row in rows])
                async with reads_for(where, sessions, size=2) as reads:
                    for owner, status in ((None, None), ("u1", None), ("u1", "draft")):
                        if where == url:
                            driver = await _pages(reads, owner, status)
                            assert driver == await _pages(SessionReads(sessions), owner, status)
                        else:
                            assert isinstance(reads, SessionReads)
                        walked.append(await _pages(reads, owner, status))
            finally:
                await engine.dispose()
    postgresql, sqlite = walked[:3], walked[3:]
    assert postgresql == sqlite
    everyone = [story for page in postgresql[0] for story in page]
    assert [story[0] for story in everyone] == [f"story-{n}" for n in (8, 7, 6, 5, 4, 3, 2, 1, 0)]
    assert [len(page) for page in postgresql[0]] == [2, 2, 2, 2, 1]
    assert all(story[4].tzinfo is not None for story in everyone)
    assert {story[0] for page in postgresql[2] for story in page} == {
        "story-1",
        "story-5",
        "story-7",
    }
