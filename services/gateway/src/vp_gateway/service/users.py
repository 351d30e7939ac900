"""Accounts: register and log in. Password hashing (argon2, ~200 ms) runs off the event loop."""

from __future__ import annotations

import asyncio
from datetime import datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from vp_contracts.ids import new_id
from vp_runtime.web.auth import Principal

from vp_gateway.adapters.db.tables import UserRow


class EmailTaken(Exception):
    """An account with that email exists."""


class BadCredentials(Exception):
    """Unknown email or wrong password (never said which)."""


class Users:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], admins: frozenset[str]) -> None:
        self._sessions = sessions
        self._admins = admins
        self._hasher = PasswordHasher()
        # Compared against when the email is unknown, so both cases take the same time.
        self._decoy = self._hasher.hash("decoy password")

    async def register(self, email: str, password: str, now: datetime) -> UserRow:
        email = email.strip().lower()
        digest = await asyncio.to_thread(self._hasher.hash, password)
        role = "admin" if email in self._admins else "user"
        row = UserRow(id=new_id(), email=email, password_hash=digest, role=role, created_at=now)
        try:
            async with self._sessions.begin() as session:
                session.add(row)
        except IntegrityError as error:
            raise EmailTaken(email) from error
        return row

    async def authenticate(self, email: str, password: str) -> Principal:
        email = email.strip().lower()
        async with self._sessions() as session:
            row = await session.scalar(select(UserRow).where(func.lower(UserRow.email) == email))
        digest = row.password_hash if row else self._decoy
        try:
            await asyncio.to_thread(self._hasher.verify, digest, password)
        except (VerificationError, InvalidHashError):
            raise BadCredentials() from None
        if row is None:
            raise BadCredentials()
        return Principal(user_id=row.id, email=row.email, role=row.role)
