"""API keys and refresh tokens in the ``api_keys`` and ``refresh_tokens`` tables."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from vp_gateway.adapters.db.tables import ApiKeyRow, RefreshTokenRow
from vp_gateway.service.credentials import ApiKey, RefreshToken


def _key(row: ApiKeyRow) -> ApiKey:
    return ApiKey(
        row.id,
        row.user_id,
        row.name,
        frozenset(row.scopes.split()),
        row.secret_hash,
        row.created_at,
        row.expires_at,
        row.revoked_at,
        row.last_used_at,
    )


def _token(row: RefreshTokenRow) -> RefreshToken:
    return RefreshToken(
        row.id,
        row.family_id,
        row.user_id,
        row.secret_hash,
        row.created_at,
        row.expires_at,
        row.used_at,
        row.revoked_at,
    )


class SqlCredentials:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def add_key(self, key: ApiKey) -> None:
        async with self._sessions.begin() as session:
            session.add(
                ApiKeyRow(
                    id=key.id,
                    user_id=key.user_id,
                    name=key.name,
                    scopes=" ".join(sorted(key.scopes)),
                    secret_hash=key.secret_hash,
                    created_at=key.created_at,
                    expires_at=key.expires_at,
                )
            )

    async def key(self, key_id: str) -> ApiKey | None:
        async with self._sessions() as session:
            row = await session.get(ApiKeyRow, key_id)
        return _key(row) if row is not None else None

    async def keys_of(self, user_id: str) -> list[ApiKey]:
        query = select(ApiKeyRow).where(ApiKeyRow.user_id == user_id)
        async with self._sessions() as session:
            rows = (await session.scalars(query.order_by(ApiKeyRow.created_at.desc()))).all()
        return [_key(row) for row in rows]

    async def revoke_key(self, key_id: str, user_id: str, at: datetime) -> bool:
        async with self._sessions.begin() as session:
            row = await session.get(ApiKeyRow, key_id)
            if row is None or row.user_id != user_id:
                return False
            row.revoked_at = row.revoked_at or at
            return True

    async def key_used(self, key_id: str, at: datetime) -> None:
        async with self._sessions.begin() as session:
            await session.execute(
                update(ApiKeyRow).where(ApiKeyRow.id == key_id).values(last_used_at=at)
            )

    async def add_refresh(self, token: RefreshToken) -> None:
        async with self._sessions.begin() as session:
            session.add(
                RefreshTokenRow(
                    id=token.id,
                    family_id=token.family_id,
                    user_id=token.user_id,
                    secret_hash=token.secret_hash,
                    created_at=token.created_at,
                    expires_at=token.expires_at,
                )
            )

    async def refresh(self, token_id: str) -> RefreshToken | None:
        async with self._sessions() as session:
            row = await session.get(RefreshTokenRow, token_id)
        return _token(row) if row is not None else None

    async def use_refresh(self, token_id: str, at: datetime) -> bool:
        """One conditional UPDATE: of two replicas trading the same token, one wins."""
        query = (
            update(RefreshTokenRow)
            .where(
                RefreshTokenRow.id == token_id,
                RefreshTokenRow.used_at.is_(None),
                RefreshTokenRow.revoked_at.is_(None),
            )
            .values(used_at=at)
        )
        async with self._sessions.begin() as session:
            result = await session.execute(query)
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def revoke_family(self, family_id: str, at: datetime) -> None:
        query = (
            update(RefreshTokenRow)
            .where(RefreshTokenRow.family_id == family_id, RefreshTokenRow.revoked_at.is_(None))
            .values(revoked_at=at)
        )
        async with self._sessions.begin() as session:
            await session.execute(query)
