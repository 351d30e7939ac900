"""What keeps a cheap request cheap: shared fresh lookups and tokens verified once."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from vp_runtime.aio import Fresh
from vp_runtime.web import auth
from vp_runtime.web.auth import InvalidToken, Principal, TokenPolicy


class Head:
    """A log head behind a slow lookup: each lookup answers what the head was when it began."""

    def __init__(self) -> None:
        self.value = 0
        self.lookups = 0

    async def __call__(self) -> int:
        self.lookups += 1
        seen = self.value
        await asyncio.sleep(0.01)
        return seen


async def test_callers_at_the_same_moment_share_one_lookup() -> None:
    head = Head()
    fresh = Fresh(head)
    assert await asyncio.gather(*(fresh() for _ in range(50))) == [0] * 50
    assert head.lookups == 1


async def test_a_caller_never_gets_a_lookup_that_began_before_it_asked() -> None:
    head = Head()
    fresh = Fresh(head)
    early = asyncio.create_task(fresh())
    await asyncio.sleep(0.005)  # the first lookup is under way and has seen 0
    head.value = 7  # a write lands; whoever asks from now on must see it
    late = [asyncio.create_task(fresh()) for _ in range(10)]
    assert await early == 0
    assert await asyncio.gather(*late) == [7] * 10
    assert head.lookups == 2  # the ten waited for one more lookup, together


async def test_a_failed_lookup_fails_its_callers_and_the_next_one_runs() -> None:
    calls = 0

    async def flaky() -> int:
        nonlocal calls
        calls += 1
        await asyncio.sleep(0)
        if calls == 1:
            raise ConnectionError("the server went away")
        return 3

    fresh = Fresh(flaky)
    results = await asyncio.gather(fresh(), fresh(), return_exceptions=True)
    assert all(isinstance(result, ConnectionError) for result in results)
    assert await fresh() == 3


async def test_a_cancelled_caller_does_not_cancel_the_others() -> None:
    fresh = Fresh(Head())
    first, second = asyncio.create_task(fresh()), asyncio.create_task(fresh())
    await asyncio.sleep(0)
    first.cancel()
    assert await second == 0


NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)


def test_a_token_is_verified_once_and_its_expiry_checked_at_every_use(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    policy = TokenPolicy("k" * 40, "videoplanet", "videoplanet-api", timedelta(minutes=15))
    token = policy.issue(Principal("user-1", "민지@example.com", "user"), NOW, "t-1")
    verified = []
    real = auth._claims

    def counting(*args: Any) -> Any:
        verified.append(1)
        return real(*args)

    monkeypatch.setattr(auth, "_claims", counting)
    for minutes in range(10):
        assert policy.check(token, NOW + timedelta(minutes=minutes)).email == "민지@example.com"
    assert len(verified) == 1
    with pytest.raises(InvalidToken, match="expired"):
        policy.check(token, NOW + timedelta(minutes=15))
    tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    with pytest.raises(InvalidToken):
        policy.check(tampered, NOW)  # another string: verified, and refused
    other = TokenPolicy("x" * 40, "videoplanet", "videoplanet-api", timedelta(minutes=15))
    with pytest.raises(InvalidToken):
        other.check(token, NOW)  # what one policy verified says nothing to another
