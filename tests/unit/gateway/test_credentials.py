"""Machine API keys and refresh tokens on in-memory stores: scopes within the owner's role,
only a hash kept, revocation at once, last use recorded sparingly; a refresh token works once,
and its second use ends the session."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from vp_contracts.story.errors import InvalidInput, NotFound
from vp_gateway.service.credentials import BadCredential, Credentials, KeyNotAllowed
from vp_gateway.service.users import Account
from vp_runtime.web.auth import Principal

from tests.unit.fakes import MemoryCredentials

NOW = datetime(2026, 12, 3, 9, tzinfo=UTC)
ALICE = Principal("alice", "alice@example.com", "user")
ROOT = Principal("root", "root@example.com", "admin")


class Accounts:
    async def by_id(self, user_id: str) -> Account | None:
        role = "admin" if user_id == "root" else "user"
        return Account(user_id, f"{user_id}@example.com", "-", role, NOW)


def _credentials() -> tuple[Credentials, MemoryCredentials]:
    store = MemoryCredentials.empty()
    return Credentials(store, Accounts(), timedelta(days=30)), store


async def test_a_key_works_within_its_scopes_until_revoked() -> None:
    credentials, store = _credentials()
    key, text = await credentials.create_key(ALICE, "ci bot", ["read"], 30, NOW)
    assert text.startswith("vpk_") and text.split("_", 2)[2] not in repr(store.api_keys)
    caller = await credentials.by_key(text, NOW)
    assert (caller.user_id, caller.key_id) == ("alice", key.id)
    assert caller.may("read") and not caller.may("write") and not caller.is_admin
    await credentials.revoke_key(ALICE, key.id, NOW)
    with pytest.raises(BadCredential, match="revoked"):
        await credentials.by_key(text, NOW)
    with pytest.raises(BadCredential, match="unknown"):
        await credentials.by_key(text[:-3] + "xyz", NOW)


async def test_a_key_expires_and_its_last_use_is_written_at_most_each_minute() -> None:
    credentials, store = _credentials()
    key, text = await credentials.create_key(ALICE, "etl", ["write"], 1, NOW)
    await credentials.by_key(text, NOW)
    await credentials.by_key(text, NOW + timedelta(seconds=20))
    assert store.api_keys[key.id].last_used_at == NOW
    await credentials.by_key(text, NOW + timedelta(minutes=2))
    assert store.api_keys[key.id].last_used_at == NOW + timedelta(minutes=2)
    with pytest.raises(BadCredential, match="expired"):
        await credentials.by_key(text, NOW + timedelta(days=1))


async def test_only_admins_make_admin_keys_and_keys_cannot_make_keys() -> None:
    credentials, _ = _credentials()
    with pytest.raises(InvalidInput):
        await credentials.create_key(ALICE, "sneaky", ["admin"], 30, NOW)
    _, text = await credentials.create_key(ROOT, "ops", ["read", "admin"], 30, NOW)
    ops = await credentials.by_key(text, NOW)
    assert ops.is_admin
    with pytest.raises(KeyNotAllowed):
        await credentials.create_key(ops, "more", ["read"], 30, NOW)
    with pytest.raises(NotFound):  # another user's key id is not found
        await credentials.revoke_key(ALICE, ops.key_id or "", NOW)


async def test_a_refresh_token_works_once_and_a_second_use_ends_the_session() -> None:
    credentials, _ = _credentials()
    first = await credentials.start_session(ALICE, NOW)
    principal, second = await credentials.refresh(first, NOW + timedelta(minutes=14))
    assert principal.user_id == "alice" and second != first
    _, third = await credentials.refresh(second, NOW + timedelta(minutes=28))
    with pytest.raises(BadCredential, match="used already"):
        await credentials.refresh(first, NOW + timedelta(minutes=30))  # a stolen copy
    with pytest.raises(BadCredential, match="session ended"):
        await credentials.refresh(third, NOW + timedelta(minutes=31))  # the family is ended


async def test_a_session_ends_on_logout_or_after_its_lifetime() -> None:
    credentials, _ = _credentials()
    token = await credentials.start_session(ALICE, NOW)
    await credentials.end_session(token, NOW)
    with pytest.raises(BadCredential):
        await credentials.refresh(token, NOW)
    late = await credentials.start_session(ALICE, NOW)
    with pytest.raises(BadCredential, match="session ended"):
        await credentials.refresh(late, NOW + timedelta(days=31))
