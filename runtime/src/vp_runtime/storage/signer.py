"""Signed, expiring links of the local backend (served by the gateway's ``/media/`` route)."""

from __future__ import annotations

import hashlib
import hmac
import os
import time

from vp_runtime.settings import RuntimeSettings


class UrlSigner:
    """HMAC-SHA256 signatures of ``key`` + expiry, for links served by the gateway."""

    def __init__(self, secret: str) -> None:
        self._secret = secret.encode()

    def signature(self, key: str, expires: int) -> str:
        return hmac.new(self._secret, f"{key}\n{expires}".encode(), hashlib.sha256).hexdigest()

    def valid(self, key: str, expires: int, signature: str, now: float | None = None) -> bool:
        if (now if now is not None else time.time()) > expires:
            return False
        # As bytes: compare_digest refuses str with non-ASCII characters (a forged link's).
        return hmac.compare_digest(self.signature(key, expires).encode(), signature.encode())


_RANDOM_SECRET = os.urandom(32).hex()


def media_secret(settings: RuntimeSettings) -> str:
    """``VP_MEDIA_SECRET``, or a random one that only this process knows (links it signs only
    work when this same process serves them)."""
    return settings.media_secret.get_secret_value() if settings.media_secret else _RANDOM_SECRET
