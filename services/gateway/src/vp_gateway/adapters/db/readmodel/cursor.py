"""Keyset pagination: newest first by (created_at, id), the cursor an opaque token of the last
row shown."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, bindparam, or_
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from vp_gateway.adapters.db.reads import Statement


@dataclass(frozen=True)
class PageOf:
    items: list[Any]
    next_cursor: str | None


def encode_cursor(at: datetime, row_id: str) -> str:
    return base64.urlsafe_b64encode(json.dumps([at.isoformat(), row_id]).encode()).decode()


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    """Raise ValueError for a cursor this API did not hand out."""
    try:
        at, row_id = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        return datetime.fromisoformat(at), str(row_id)
    except (ValueError, TypeError) as error:
        raise ValueError("not a cursor from this API") from error


def keyset(query: Statement, table: Any, after: bool) -> Statement:
    """``query`` newest first, ``limit`` rows (a parameter), from the row after a cursor when
    ``after`` (parameters ``after_at`` and ``after_id``): one statement per shape, whatever
    the values (see :func:`keyset_params`)."""
    if after:
        at = bindparam("after_at", type_=table.created_at.type)
        row_id = bindparam("after_id", type_=table.id.type)
        query = query.where(
            or_(table.created_at < at, and_(table.created_at == at, table.id < row_id))
        )
    return query.order_by(table.created_at.desc(), table.id.desc()).limit(bindparam("limit"))


def keyset_params(limit: int, cursor: str | None) -> dict[str, Any]:
    """The parameters of a :func:`keyset` statement: one row more than shown, to know whether
    a next page exists."""
    params: dict[str, Any] = {"limit": limit + 1}
    if cursor is not None:
        params["after_at"], params["after_id"] = decode_cursor(cursor)
    return params


def cut(rows: list[Any], limit: int) -> tuple[list[Any], str | None]:
    """The page shown and the cursor of the next (None on the last page)."""
    if len(rows) <= limit:
        return rows, None
    last = rows[limit - 1]
    return rows[:limit], encode_cursor(last.created_at, last.id)


async def page(
    sessions: async_sessionmaker[AsyncSession],
    query: Statement,
    table: Any,
    limit: int,
    cursor: str | None,
) -> tuple[list[Any], str | None]:
    """One page of ``query`` (ORM objects of ``table``) after ``cursor``, and the cursor of
    the next."""
    statement = keyset(query, table, cursor is not None)
    async with sessions() as session:
        result = await session.execute(statement, keyset_params(limit, cursor))
        return cut(list(result.scalars()), limit)
