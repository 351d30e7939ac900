"""Webhook signatures as the Standard Webhooks specification defines them.

``webhook-signature: v1,<base64 HMAC-SHA256 of "<webhook-id>.<webhook-timestamp>.<body>">``,
keyed by the receiver's secret (``whsec_<base64>`` or the raw text). Receivers check the
signature and that the timestamp is recent (replays are refused).
"""

from __future__ import annotations

import base64
import hashlib
import hmac

TOLERANCE_SECONDS = 300


class BadSignature(Exception):
    pass


def _key(secret: str) -> bytes:
    if secret.startswith("whsec_"):
        return base64.b64decode(secret.removeprefix("whsec_"))
    return secret.encode()


def sign(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    content = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(_key(secret), content, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def headers(secret: str, message_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": sign(secret, message_id, timestamp, body),
    }


def verify(secret: str, received: dict[str, str], body: bytes, now: int) -> None:
    """What a receiver does; raises :class:`BadSignature` unless the request is authentic."""
    lowered = {key.lower(): value for key, value in received.items()}
    try:
        message_id = lowered["webhook-id"]
        timestamp = int(lowered["webhook-timestamp"])
        signatures = lowered["webhook-signature"].split()
    except (KeyError, ValueError) as error:
        raise BadSignature(f"missing or malformed webhook headers: {error}") from None
    if abs(now - timestamp) > TOLERANCE_SECONDS:
        raise BadSignature("the timestamp is too old or in the future")
    expected = sign(secret, message_id, timestamp, body)
    if not any(hmac.compare_digest(expected.encode(), c.encode()) for c in signatures):
        raise BadSignature("no signature matches")
