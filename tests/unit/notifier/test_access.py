"""Who may follow a story live (the notifier's service layer, on an in-memory log): the
holder of a ticket for that story, the owner's token, an admin's token; everyone else is
told what to send instead, and someone else's story does not exist for them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from vp_contracts.ids import new_id
from vp_notifier.service.notifier import BadRequest, NotFound, Notifier, Unauthenticated
from vp_runtime.eventstore import InMemoryStoryLog
from vp_runtime.settings import AuthSettings
from vp_runtime.web.auth import Principal, policies

from tests.support.facts import Driver

NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)
TOKENS, TICKETS = policies(AuthSettings(), "s" * 40)


async def _story() -> tuple[Notifier, str]:
    log = InMemoryStoryLog()
    story_id = await Driver(log).created(owner="owner-1")

    async def ready() -> dict[str, str]:
        return {}

    notifier = Notifier(
        log,
        hub=None,  # type: ignore[arg-type]  # authorizing follows nothing
        tokens=TOKENS,
        tickets=TICKETS,
        link=str,
        clock=lambda: NOW,
        readiness=ready,
    )
    return notifier, story_id


def _bearer(user: str, role: str = "user", at: datetime = NOW) -> str:
    return "Bearer " + TOKENS.issue(Principal(user, f"{user}@example.com", role), at, new_id())


async def test_a_ticket_for_the_story_lets_its_holder_follow_it() -> None:
    notifier, story_id = await _story()
    ticket, _ = TICKETS.issue("owner-1", story_id, NOW)
    await notifier.authorize(story_id, ticket, None)


async def test_a_ticket_for_another_story_or_an_expired_one_is_refused() -> None:
    notifier, story_id = await _story()
    other, _ = TICKETS.issue("owner-1", new_id(), NOW)
    with pytest.raises(Unauthenticated, match="another story"):
        await notifier.authorize(story_id, other, None)
    old, _ = TICKETS.issue("owner-1", story_id, NOW - timedelta(minutes=5))
    with pytest.raises(Unauthenticated, match="ask the gateway for a new one"):
        await notifier.authorize(story_id, old, None)


@pytest.mark.parametrize(
    ("authorization", "allowed"),
    [
        (_bearer("owner-1"), True),
        (_bearer("admin-1", "admin"), True),
        (_bearer("someone"), False),
    ],
    ids=["owner", "admin", "someone-else"],
)
async def test_access_tokens_follow_the_access_policy(authorization: str, allowed: bool) -> None:
    notifier, story_id = await _story()
    if allowed:
        await notifier.authorize(story_id, None, authorization)
        return
    with pytest.raises(NotFound):
        await notifier.authorize(story_id, None, authorization)


@pytest.mark.parametrize(
    ("story", "authorization", "error", "says"),
    [
        ("not-a-uuid", None, BadRequest, "story_id"),
        (None, None, Unauthenticated, r"pass \?ticket="),
        (None, "Basic abc", Unauthenticated, "Authorization: Bearer"),
        (None, "Bearer nonsense", Unauthenticated, "log in again"),
        (None, _bearer("owner-1", at=NOW - timedelta(hours=2)), Unauthenticated, "expired"),
    ],
    ids=["bad-id", "nothing", "wrong-scheme", "bad-token", "expired-token"],
)
async def test_what_is_missing_is_said(
    story: str | None, authorization: str | None, error: type[Exception], says: str
) -> None:
    notifier, story_id = await _story()
    with pytest.raises(error, match=says):
        await notifier.authorize(story or story_id, None, authorization)


async def test_a_story_that_does_not_exist_is_not_found_even_with_a_valid_ticket() -> None:
    notifier, _ = await _story()
    missing = new_id()
    ticket, _ = TICKETS.issue("owner-1", missing, NOW)
    with pytest.raises(NotFound):
        await notifier.authorize(missing, ticket, None)
