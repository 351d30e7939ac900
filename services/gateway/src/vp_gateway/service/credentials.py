"""Credentials besides the password: machine API keys for integrations (other teams,
automation tools, agents) and refresh tokens that keep a browser session going.

Both are random secrets of which only the SHA-256 is stored (they are 256-bit random, so a
slow password hash would add nothing). An API key (``vpk_<id>_<secret>``) has a name, scopes
and an expiry, works as a bearer token wherever an access token does, and is checked against
the database on every call, so a revoked key is refused at once by every replica. A refresh
token (``vpr_<id>_<secret>``) is traded once for a new access token and a new refresh token;
trading it a second time means a copy leaked, and ends the whole session (its family).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from vp_contracts.ids import new_id
from vp_contracts.story.errors import InvalidInput, NotFound, Refused
from vp_runtime.web.auth import SCOPES, Principal

from vp_gateway.service.users import Account

KEY_PREFIX = "vpk_"
REFRESH_PREFIX = "vpr_"
MAX_KEY_DAYS = 365
LAST_USE_EVERY = timedelta(minutes=1)
"""A key's last use is written at most this often (a busy key is not a write per call)."""


class BadCredential(Exception):
    """Not a key or refresh token we know, or revoked, or expired."""


class KeyNotAllowed(Refused):
    code = "forbidden"


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _made(prefix: str) -> tuple[str, str, str]:
    """A new credential: its id, its text (shown once) and the digest that is kept."""
    credential_id, secret = new_id(), secrets.token_urlsafe(32)
    return credential_id, f"{prefix}{credential_id}_{secret}", _digest(secret)


def _parsed(text: str, prefix: str) -> tuple[str, str]:
    if not text.startswith(prefix) or text.count("_") < 2:
        raise BadCredential("malformed")
    credential_id, _, secret = text[len(prefix) :].partition("_")
    return credential_id, secret


def _matches(secret: str, digest: str) -> bool:
    return hmac.compare_digest(_digest(secret), digest)


@dataclass(frozen=True)
class ApiKey:
    id: str
    user_id: str
    name: str
    scopes: frozenset[str]
    secret_hash: str
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None = None
    last_used_at: datetime | None = None

    def usable(self, now: datetime) -> bool:
        return self.revoked_at is None and now < self.expires_at


@dataclass(frozen=True)
class RefreshToken:
    id: str
    family_id: str
    user_id: str
    secret_hash: str
    created_at: datetime
    expires_at: datetime
    used_at: datetime | None = None
    revoked_at: datetime | None = None


class CredentialStore(Protocol):
    async def add_key(self, key: ApiKey) -> None: ...
    async def key(self, key_id: str) -> ApiKey | None: ...
    async def keys_of(self, user_id: str) -> list[ApiKey]: ...
    async def revoke_key(self, key_id: str, user_id: str, at: datetime) -> bool: ...
    async def key_used(self, key_id: str, at: datetime) -> None: ...

    async def add_refresh(self, token: RefreshToken) -> None: ...
    async def refresh(self, token_id: str) -> RefreshToken | None: ...
    async def use_refresh(self, token_id: str, at: datetime) -> bool:
        """Mark it used; False when it was used (or revoked) already."""
        ...

    async def revoke_family(self, family_id: str, at: datetime) -> None: ...


class AccountsById(Protocol):
    async def by_id(self, user_id: str) -> Account | None: ...


class Credentials:
    def __init__(
        self, store: CredentialStore, accounts: AccountsById, refresh_ttl: timedelta
    ) -> None:
        self._store = store
        self._accounts = accounts
        self._refresh_ttl = refresh_ttl

    # -- API keys ---------------------------------------------------------------------

    async def create_key(
        self, caller: Principal, name: str, scopes: Iterable[str], days: int, now: datetime
    ) -> tuple[ApiKey, str]:
        """A new key for the caller and its text (never shown again)."""
        _session_only(caller, "create API keys")
        wanted = frozenset(scopes)
        if not wanted or not wanted <= SCOPES:
            raise InvalidInput.field("scopes", f"one or more of {', '.join(sorted(SCOPES))}")
        if "admin" in wanted and caller.role != "admin":
            raise InvalidInput.field("scopes", "only admins can make keys with the admin scope")
        if not 1 <= days <= MAX_KEY_DAYS:
            raise InvalidInput.field("expires_in_days", f"1 to {MAX_KEY_DAYS} days")
        key_id, text, digest = _made(KEY_PREFIX)
        key = ApiKey(key_id, caller.user_id, name, wanted, digest, now, now + timedelta(days=days))
        await self._store.add_key(key)
        return key, text

    async def keys(self, caller: Principal) -> list[ApiKey]:
        return await self._store.keys_of(caller.user_id)

    async def revoke_key(self, caller: Principal, key_id: str, now: datetime) -> None:
        _session_only(caller, "revoke API keys")
        if not await self._store.revoke_key(key_id, caller.user_id, now):
            raise NotFound(f"API key {key_id} does not exist")

    async def by_key(self, text: str, now: datetime) -> Principal:
        """The principal of an API key: its owner, limited to the key's scopes."""
        key_id, secret = _parsed(text, KEY_PREFIX)
        key = await self._store.key(key_id)
        if key is None or not _matches(secret, key.secret_hash):
            raise BadCredential("unknown API key")
        if not key.usable(now):
            raise BadCredential(
                "the API key was revoked" if key.revoked_at else "the API key expired"
            )
        account = await self._accounts.by_id(key.user_id)
        if account is None:
            raise BadCredential("the key's account is gone")
        if key.last_used_at is None or now - key.last_used_at >= LAST_USE_EVERY:
            await self._store.key_used(key.id, now)
        return Principal(account.id, account.email, account.role, key.scopes, key.id)

    # -- refresh tokens ---------------------------------------------------------------

    async def start_session(self, principal: Principal, now: datetime) -> str:
        """The refresh token of a new browser session."""
        return await self._issue(principal.user_id, new_id(), now)

    async def _issue(self, user_id: str, family_id: str, now: datetime) -> str:
        token_id, text, digest = _made(REFRESH_PREFIX)
        token = RefreshToken(token_id, family_id, user_id, digest, now, now + self._refresh_ttl)
        await self._store.add_refresh(token)
        return text

    async def refresh(self, text: str, now: datetime) -> tuple[Principal, str]:
        """Trade a refresh token for the session's principal and the next refresh token."""
        token = await self._known(text)
        if token.revoked_at is not None or now >= token.expires_at:
            raise BadCredential("the session ended: log in again")
        if not await self._store.use_refresh(token.id, now):
            await self._store.revoke_family(token.family_id, now)
            raise BadCredential("this refresh token was used already: the session is ended")
        account = await self._accounts.by_id(token.user_id)
        if account is None:
            raise BadCredential("the account is gone")
        principal = Principal(account.id, account.email, account.role)
        return principal, await self._issue(token.user_id, token.family_id, now)

    async def end_session(self, text: str, now: datetime) -> None:
        token = await self._known(text)
        await self._store.revoke_family(token.family_id, now)

    async def _known(self, text: str) -> RefreshToken:
        token_id, secret = _parsed(text, REFRESH_PREFIX)
        token = await self._store.refresh(token_id)
        if token is None or not _matches(secret, token.secret_hash):
            raise BadCredential("unknown refresh token")
        return token


def _session_only(caller: Principal, what: str) -> None:
    if caller.key_id is not None:
        raise KeyNotAllowed(f"an API key cannot {what}: log in to do it")
