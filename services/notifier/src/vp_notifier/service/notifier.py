"""Who may follow a story live, and the session that follows it.

A browser shows a ticket from the gateway (an EventSource cannot send headers); any other
client may send the story owner's access token instead. A story that does not exist and a
story of someone else are the same answer: not found.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

from vp_contracts.ids import check_id
from vp_runtime.eventstore import StoryLog
from vp_runtime.web.access import can_read
from vp_runtime.web.auth import InvalidToken, TicketPolicy, TokenPolicy

from vp_notifier.domain.messages import Link
from vp_notifier.service.live import Hub, Session

PREFIX = "/api/ai-video"
TICKET_ROUTE = PREFIX + "/stories/{story_id}/events/ticket/"


class Denied(Exception):
    """The caller may not follow this story; ``code`` says why, the message what to do."""

    code = "denied"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class BadRequest(Denied):
    code = "invalid_input"


class Unauthenticated(Denied):
    code = "unauthorized"


class NotFound(Denied):
    code = "not_found"


@dataclass
class Notifier:
    log: StoryLog
    hub: Hub
    tokens: TokenPolicy
    tickets: TicketPolicy
    link: Link
    clock: Callable[[], datetime]
    readiness: Callable[[], Awaitable[dict[str, str]]]
    queue_size: int = 256
    keepalive_seconds: float = 15.0
    """Quiet seconds before a live stream sends a keep-alive."""

    async def authorize(self, story_id: str, ticket: str | None, authorization: str | None) -> None:
        try:
            check_id(story_id)
        except ValueError as error:
            raise BadRequest(f"story_id: {error}") from None
        now = self.clock()
        where = TICKET_ROUTE.format(story_id=story_id)
        missing = NotFound(f"no story {story_id} (or it is not yours)")
        if ticket:
            try:
                self.tickets.check(ticket, story_id, now)
            except InvalidToken as error:
                raise Unauthenticated(
                    f"the ticket is not valid ({error}); ask the gateway for a new one: POST {where}"
                ) from None
            if not (await self.log.view(story_id)).exists:
                raise missing
            return
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise Unauthenticated(
                f"pass ?ticket= (POST {where} on the gateway gives one) or send"
                " 'Authorization: Bearer <access token>'"
            )
        try:
            principal = self.tokens.check(token, now)
        except InvalidToken as error:
            raise Unauthenticated(f"the token is not valid ({error}); log in again") from None
        view = await self.log.view(story_id)
        if not view.exists or not can_read(principal, view.owner_id):
            raise missing

    def session(self, story_id: str, after: int) -> Session:
        return Session(self.log, story_id, after, self.queue_size, self.link)
