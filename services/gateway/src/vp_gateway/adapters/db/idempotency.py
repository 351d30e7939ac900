"""Idempotency keys in the gateway's database (shared by every gateway replica)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import delete, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from vp_gateway.adapters.db.tables import IdempotencyRow
from vp_gateway.service.idempotency import KEY_TTL, Answer, KeyRecord

LONG_AGO = datetime(2000, 1, 1, tzinfo=UTC)


class SqlIdempotencyRecords:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def insert(self, user_id: str, key: str, record: KeyRecord) -> bool:
        try:
            async with self._sessions.begin() as session:
                session.add(IdempotencyRow(user_id=user_id, key=key, **_columns(record)))
        except IntegrityError:
            return False
        return True

    async def get(self, user_id: str, key: str) -> KeyRecord | None:
        async with self._sessions() as session:
            row = await session.get(IdempotencyRow, (user_id, key))
        if row is None:
            return None
        answer = None
        if row.status_code is not None:
            answer = Answer(row.status_code, row.content_type or "", row.body or b"")
        return KeyRecord(
            row.fingerprint,
            row.method,
            row.path,
            row.command_id,
            row.created_at,
            row.touched_at,
            answer,
        )

    async def replace_if_untouched_since(
        self, user_id: str, key: str, record: KeyRecord, since: datetime
    ) -> bool:
        async with self._sessions.begin() as session:
            result = await session.execute(
                update(IdempotencyRow)
                .where(
                    IdempotencyRow.user_id == user_id,
                    IdempotencyRow.key == key,
                    IdempotencyRow.touched_at < since,
                )
                .values(**_columns(record))
            )
        return bool(getattr(result, "rowcount", 0))

    async def finish(self, user_id: str, key: str, answer: Answer) -> None:
        async with self._sessions.begin() as session:
            await session.execute(
                update(IdempotencyRow)
                .where(IdempotencyRow.user_id == user_id, IdempotencyRow.key == key)
                .values(
                    status_code=answer.status, content_type=answer.content_type, body=answer.body
                )
            )

    async def release(self, user_id: str, key: str) -> None:
        async with self._sessions.begin() as session:
            await session.execute(
                update(IdempotencyRow)
                .where(IdempotencyRow.user_id == user_id, IdempotencyRow.key == key)
                .values(touched_at=LONG_AGO)
            )

    async def expire(self, now: datetime) -> int:
        """Delete keys older than the TTL; how many went."""
        async with self._sessions.begin() as session:
            result = await session.execute(
                delete(IdempotencyRow).where(IdempotencyRow.created_at < now - KEY_TTL)
            )
        return int(getattr(result, "rowcount", 0) or 0)


def _columns(record: KeyRecord) -> dict[str, object]:
    answer = record.answer
    return {
        "fingerprint": record.fingerprint,
        "method": record.method,
        "path": record.path[:500],
        "command_id": record.command_id,
        "created_at": record.created_at,
        "touched_at": record.touched_at,
        "status_code": answer.status if answer else None,
        "content_type": answer.content_type if answer else None,
        "body": answer.body if answer else None,
    }
