"""Accounts in the ``users`` table."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from vp_gateway.adapters.db.tables import UserRow
from vp_gateway.service.users import Account, EmailTaken


class SqlAccounts:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def add(self, account: Account) -> None:
        row = UserRow(
            id=account.id,
            email=account.email,
            password_hash=account.password_hash,
            role=account.role,
            created_at=account.created_at,
        )
        try:
            async with self._sessions.begin() as session:
                session.add(row)
        except IntegrityError as error:
            raise EmailTaken(account.email) from error

    async def by_email(self, email: str) -> Account | None:
        async with self._sessions() as session:
            row = await session.scalar(select(UserRow).where(func.lower(UserRow.email) == email))
        if row is None:
            return None
        return Account(row.id, row.email, row.password_hash, row.role, row.created_at)

    async def by_id(self, user_id: str) -> Account | None:
        async with self._sessions() as session:
            row = await session.get(UserRow, user_id)
        if row is None:
            return None
        return Account(row.id, row.email, row.password_hash, row.role, row.created_at)
