"""The hottest read-only queries (a page of stories), run on the driver itself where that pays.

Through SQLAlchemy's async session a 21-row page costs about 1.9 ms of CPU here, of which the
database's part is about 0.3 ms: the pool checkout, the session, the statement's cache key and
the result rows are Python on every call. On PostgreSQL these statements run straight on
psycopg (its own pool of autocommit connections, each statement compiled once); elsewhere
(SQLite, the embedded default) through SQLAlchemy as every other query does.

A statement given here is built once with named ``bindparam``\\s for everything that varies,
and its parameters need no conversion by SQLAlchemy (strings, numbers, aware datetimes).
"""

from __future__ import annotations

import contextlib
import time
import weakref
from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any, Protocol

from psycopg import AsyncConnection
from psycopg.rows import namedtuple_row
from psycopg_pool import AsyncConnectionPool
from sqlalchemy import Select
from sqlalchemy.dialects.postgresql import psycopg as psycopg_dialect
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from vp_gateway.adapters.db import engine
from vp_gateway.adapters.db.engine import reading, sync_url

Statement = Select[*tuple[Any, ...]]


class Reads(Protocol):
    async def rows(self, statement: Statement, params: Mapping[str, Any]) -> Sequence[Any]:
        """The rows of ``statement`` with ``params``; columns by name (``row.id``)."""
        ...


class SessionReads:
    """Through SQLAlchemy (autocommit sessions)."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = reading(sessions)

    async def rows(self, statement: Statement, params: Mapping[str, Any]) -> Sequence[Any]:
        async with self._sessions() as session:
            return list((await session.execute(statement, dict(params))).all())


class DriverReads:
    """Straight on psycopg: a pool of autocommit connections in UTC, statements compiled once."""

    _dialect = psycopg_dialect.dialect()  # type: ignore[no-untyped-call]

    def __init__(self, pool: AsyncConnectionPool[Any]) -> None:
        self._pool = pool
        self._compiled: dict[Statement, tuple[str, dict[str, Any]]] = {}

    async def rows(self, statement: Statement, params: Mapping[str, Any]) -> Sequence[Any]:
        compiled = self._compiled.get(statement)
        if compiled is None:
            done = statement.compile(dialect=self._dialect)
            compiled = self._compiled[statement] = (done.string, dict(done.params))
        sql, fixed = compiled
        async with self._pool.connection() as connection, connection.cursor() as cursor:
            await cursor.execute(sql, {**fixed, **params})
            return list(await cursor.fetchall())


def libpq_url(url: str) -> tuple[str, str] | None:
    """The libpq form of a PostgreSQL URL and its server ``options`` with the session in UTC
    (None for another database)."""
    parsed = make_url(sync_url(url))
    if not parsed.drivername.startswith("postgresql"):
        return None
    given = parsed.query.get("options", "")
    options = " ".join([*([given] if isinstance(given, str) else given), "-c TimeZone=UTC"])
    return parsed.set(drivername="postgresql").render_as_string(
        hide_password=False
    ), options.strip()


@contextlib.asynccontextmanager
async def reads_for(
    url: str, sessions: async_sessionmaker[AsyncSession], size: int
) -> AsyncIterator[Reads]:
    """Driver reads on PostgreSQL (``size`` connections at most), session reads elsewhere."""
    postgresql = libpq_url(url)
    if postgresql is None:
        yield SessionReads(sessions)
        return
    conninfo, options = postgresql
    returned: weakref.WeakKeyDictionary[AsyncConnection[Any], float] = weakref.WeakKeyDictionary()

    async def back(connection: AsyncConnection[Any]) -> None:
        returned[connection] = time.monotonic()

    async def check(connection: AsyncConnection[Any]) -> None:
        """As the engine's pool does: a connection idle a while is pinged before use, and one
        the server dropped meanwhile is replaced (the pool discards it and takes another)."""
        if time.monotonic() - returned.get(connection, 0.0) >= engine.IDLE_PING_SECONDS:
            await AsyncConnectionPool.check_connection(connection)

    pool: AsyncConnectionPool[Any] = AsyncConnectionPool(
        conninfo,
        min_size=1,
        max_size=size,
        kwargs={"autocommit": True, "row_factory": namedtuple_row, "options": options},
        check=check,
        reset=back,
        open=False,
    )
    await pool.open(wait=True, timeout=30)
    try:
        yield DriverReads(pool)
    finally:
        await pool.close()
