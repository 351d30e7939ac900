"""Database engine, sessions and migrations (Alembic)."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
IDLE_PING_SECONDS = 2.0
"""A pooled connection idle longer than this is pinged before use (a dead one is replaced);
one in use all along is not (a ping is a round trip per query at hundreds of requests/s)."""


def async_url(url: str) -> str:
    """The async driver form of a database URL (psycopg 3 or aiosqlite)."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres", "postgresql+psycopg2"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.drivername == "sqlite":
        parsed = parsed.set(drivername="sqlite+aiosqlite")
    return parsed.render_as_string(hide_password=False)


def sync_url(url: str) -> str:
    """The blocking driver form of the same URL (Alembic runs with it)."""
    parsed = make_url(async_url(url))
    if parsed.drivername == "sqlite+aiosqlite":
        parsed = parsed.set(drivername="sqlite")
    return parsed.render_as_string(hide_password=False)


def make_engine(
    url: str, pool_size: int = 5
) -> tuple[AsyncEngine, async_sessionmaker[AsyncSession]]:
    url = async_url(url)
    parsed = make_url(url)
    pooling: dict[str, Any] = {}
    if parsed.drivername.startswith("sqlite") and parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    if parsed.drivername.startswith("postgresql"):
        pooling = {"pool_size": pool_size, "max_overflow": pool_size}
    engine = create_async_engine(url, **pooling)
    _ping_when_idle(engine.sync_engine, IDLE_PING_SECONDS)
    return engine, async_sessionmaker(engine, expire_on_commit=False)


def reading(sessions: async_sessionmaker[AsyncSession]) -> async_sessionmaker[AsyncSession]:
    """Sessions for queries only, on the same pool in autocommit: no BEGIN, no ROLLBACK, one
    round trip per query (each query still sees one consistent snapshot)."""
    engine: AsyncEngine = sessions.kw["bind"]
    return async_sessionmaker(
        engine.execution_options(isolation_level="AUTOCOMMIT"), expire_on_commit=False
    )


def _ping_when_idle(engine: Engine, seconds: float) -> None:
    def connected(_connection: Any, record: Any) -> None:
        record.info["returned"] = time.monotonic()

    def checkout(connection: Any, record: Any, _proxy: Any) -> None:
        if time.monotonic() - record.info.get("returned", 0.0) < seconds:
            return
        try:
            engine.dialect.do_ping(connection)
        except Exception as error:  # the pool replaces the connection and tries again
            raise DisconnectionError(f"pooled connection is gone: {error}") from error

    event.listen(engine, "connect", connected)
    event.listen(engine, "checkin", connected)
    event.listen(engine, "checkout", checkout)


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", sync_url(url).replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "head") -> None:
    """Bring the schema to ``revision`` (blocking)."""
    command.upgrade(alembic_config(url), revision)


async def upgrade_async(url: str) -> None:
    await asyncio.to_thread(upgrade, url)
