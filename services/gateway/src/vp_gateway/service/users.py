"""Accounts: register and log in. Password hashing (argon2, ~200 ms) runs off the event loop."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from vp_contracts.ids import new_id
from vp_runtime.web.auth import Principal


class EmailTaken(Exception):
    """An account with that email exists."""


class BadCredentials(Exception):
    """Unknown email or wrong password (never said which)."""


@dataclass(frozen=True)
class Account:
    id: str
    email: str
    """Lower case: one account per address, however it is typed."""
    password_hash: str
    role: str
    created_at: datetime


class Accounts(Protocol):
    async def add(self, account: Account) -> None:
        """Store a new account; :class:`EmailTaken` if its email has one already."""
        ...

    async def by_email(self, email: str) -> Account | None: ...


class Users:
    def __init__(self, accounts: Accounts, admins: frozenset[str]) -> None:
        self._accounts = accounts
        self._admins = admins
        self._hasher = PasswordHasher()
        # Compared against when the email is unknown, so both cases take the same time.
        self._decoy = self._hasher.hash("decoy password")

    async def register(self, email: str, password: str, now: datetime) -> Account:
        email = email.strip().lower()
        digest = await asyncio.to_thread(self._hasher.hash, password)
        role = "admin" if email in self._admins else "user"
        account = Account(new_id(), email, digest, role, now)
        await self._accounts.add(account)
        return account

    async def authenticate(self, email: str, password: str) -> Principal:
        account = await self._accounts.by_email(email.strip().lower())
        digest = account.password_hash if account else self._decoy
        try:
            await asyncio.to_thread(self._hasher.verify, digest, password)
        except (VerificationError, InvalidHashError):
            raise BadCredentials() from None
        if account is None:
            raise BadCredentials()
        return Principal(user_id=account.id, email=account.email, role=account.role)
