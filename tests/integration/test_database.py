"""The gateway's database plumbing on PostgreSQL: replicas that migrate at the same moment, and
pooled connections that the server dropped while they were idle."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from vp_gateway.adapters.db import engine as db
from vp_gateway.adapters.db.assets import SqlAssets
from vp_gateway.adapters.db.engine import make_engine, reading, sync_url, upgrade_async
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
