"""Keyset pagination: newest first by (created_at, id), the cursor an opaque token of the last
row shown."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, or_
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker


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


async def page(
    sessions: async_sessionmaker[AsyncSession],
    query: Select[*tuple[Any, ...]],
    table: Any,
    limit: int,
    cursor: str | None,
    *,
    entities: bool = True,
) -> tuple[list[Any], str | None]:
    """One page of ``query`` over ``table`` after ``cursor``, and the cursor of the next: ORM
    objects, or plain rows when ``entities`` is False (``query`` selects columns; several
    times cheaper to load)."""
    if cursor is not None:
        at, row_id = decode_cursor(cursor)
        query = query.where(
            or_(table.created_at < at, and_(table.created_at == at, table.id < row_id))
        )
    query = query.order_by(table.created_at.desc(), table.id.desc()).limit(limit + 1)
    async with sessions() as session:
        result = await session.execute(query)
        rows = list(result.scalars() if entities else result)
    if len(rows) <= limit:
        return rows, None
    last = rows[limit - 1]
    return rows[:limit], encode_cursor(last.created_at, last.id)
