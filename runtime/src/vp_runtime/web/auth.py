"""Access tokens and live-update tickets (JWT, HS256): what they say and how they are checked.

The gateway issues both; the notifier checks both. A ticket is what a browser puts in an
EventSource or WebSocket URL (it cannot send an Authorization header): it names one story, lasts
about a minute and is refused where an access token is expected (and the other way round).
Time comes from outside.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import jwt

from vp_runtime.settings import AuthSettings

ALGORITHM = "HS256"
TICKET_AUDIENCE_SUFFIX = "/live"


class InvalidToken(Exception):
    """Missing, malformed, tampered, expired, or for another issuer or audience."""


SCOPES = frozenset({"read", "write", "admin"})
"""What a machine API key may do: read (GET), write (everything else), admin (admin routes,
for an admin's key). A logged-in session may do all its role allows."""


@dataclass(frozen=True)
class Principal:
    """Who is calling (a session's access token, or a machine API key with its scopes)."""

    user_id: str
    email: str
    role: str
    scopes: frozenset[str] = SCOPES
    key_id: str | None = None
    """The API key used, if the call came with one."""

    @property
    def is_admin(self) -> bool:
        return self.role == "admin" and "admin" in self.scopes

    def may(self, scope: str) -> bool:
        return scope in self.scopes or (scope == "read" and "write" in self.scopes)


CHECKED_TOKENS = 10_000
"""Access tokens whose signature a process remembers having verified (about 8 MB with the
tokens themselves, measured)."""


@dataclass(frozen=True)
class TokenPolicy:
    secret: str
    issuer: str
    audience: str
    ttl: timedelta
    _checked: OrderedDict[str, tuple[Principal, int]] = field(
        default_factory=OrderedDict, init=False, repr=False, compare=False
    )
    """Tokens verified before, with what they say and when they expire: a token is the same
    bytes with the same signature each time it comes back, so its signature is checked once
    (HMAC and claim checks cost about half a millisecond, a large part of a cheap request);
    its expiry is still checked at every use."""

    def issue(self, principal: Principal, now: datetime, token_id: str) -> str:
        claims = {
            "sub": principal.user_id,
            "email": principal.email,
            "role": principal.role,
            "iss": self.issuer,
            "aud": self.audience,
            "iat": int(now.timestamp()),
            "exp": int((now + self.ttl).timestamp()),
            "jti": token_id,
        }
        return jwt.encode(claims, self.secret, algorithm=ALGORITHM)

    def check(self, token: str, now: datetime) -> Principal:
        known = self._checked.get(token)
        if known is not None:
            principal, expires = known
            if expires <= now.timestamp():
                raise InvalidToken("token expired")
            self._checked.move_to_end(token)
            return principal
        claims = _claims(token, self.secret, self.issuer, self.audience, now, "token")
        principal = Principal(
            user_id=str(claims["sub"]),
            email=str(claims.get("email", "")),
            role=str(claims.get("role", "user")),
        )
        self._checked[token] = (principal, int(claims["exp"]))
        if len(self._checked) > CHECKED_TOKENS:
            self._checked.popitem(last=False)
        return principal


@dataclass(frozen=True)
class Ticket:
    """The right to follow one story's live updates."""

    user_id: str
    story_id: str
    expires_at: datetime


@dataclass(frozen=True)
class TicketPolicy:
    secret: str
    issuer: str
    audience: str
    ttl: timedelta

    @property
    def _audience(self) -> str:
        return self.audience + TICKET_AUDIENCE_SUFFIX

    def issue(self, user_id: str, story_id: str, now: datetime) -> tuple[str, datetime]:
        expires = now + self.ttl
        claims = {
            "sub": user_id,
            "story": story_id,
            "iss": self.issuer,
            "aud": self._audience,
            "iat": int(now.timestamp()),
            "exp": int(expires.timestamp()),
        }
        return jwt.encode(claims, self.secret, algorithm=ALGORITHM), expires

    def check(self, ticket: str, story_id: str, now: datetime) -> Ticket:
        claims = _claims(ticket, self.secret, self.issuer, self._audience, now, "ticket", "story")
        if claims["story"] != story_id:
            raise InvalidToken("the ticket is for another story")
        return Ticket(
            user_id=str(claims["sub"]),
            story_id=story_id,
            expires_at=datetime.fromtimestamp(claims["exp"], tz=now.tzinfo),
        )


def _claims(
    token: str, secret: str, issuer: str, audience: str, now: datetime, what: str, *extra: str
) -> dict[str, Any]:
    """The signed claims, checked for issuer, audience and expiry at ``now`` (not the clock)."""
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            audience=audience,
            issuer=issuer,
            options={"require": ["exp", "iat", "sub", "iss", "aud", *extra], "verify_exp": False},
        )
    except jwt.PyJWTError as error:
        raise InvalidToken(str(error)) from error
    if claims["exp"] <= now.timestamp():
        raise InvalidToken(f"{what} expired")
    return claims


def policies(settings: AuthSettings, secret: str) -> tuple[TokenPolicy, TicketPolicy]:
    """Access tokens and live tickets as ``settings`` describe them, signed with ``secret``
    (the gateway issues both, the notifier checks both: they must agree)."""
    issuer, audience = settings.jwt_issuer, settings.jwt_audience
    return (
        TokenPolicy(secret, issuer, audience, timedelta(seconds=settings.jwt_ttl_seconds)),
        TicketPolicy(secret, issuer, audience, timedelta(seconds=settings.ticket_ttl_seconds)),
    )
