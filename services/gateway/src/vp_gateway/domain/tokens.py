"""Access tokens (JWT, HS256): what they say and how they are checked; time comes from outside."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import jwt

ALGORITHM = "HS256"


class InvalidToken(Exception):
    """Missing, malformed, tampered, expired, or for another issuer or audience."""


@dataclass(frozen=True)
class Principal:
    """Who is calling."""

    user_id: str
    email: str
    role: str

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


@dataclass(frozen=True)
class TokenPolicy:
    secret: str
    issuer: str
    audience: str
    ttl: timedelta

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
        try:
            claims = jwt.decode(
                token,
                self.secret,
                algorithms=[ALGORITHM],
                audience=self.audience,
                issuer=self.issuer,
                options={"require": ["exp", "iat", "sub", "iss", "aud"], "verify_exp": False},
            )
        except jwt.PyJWTError as error:
            raise InvalidToken(str(error)) from error
        if claims["exp"] <= now.timestamp():
            raise InvalidToken("token expired")
        return Principal(
            user_id=str(claims["sub"]),
            email=str(claims.get("email", "")),
            role=str(claims.get("role", "user")),
        )
