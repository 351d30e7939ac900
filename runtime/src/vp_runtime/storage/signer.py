"""Signed, expiring links of the local backend (served by the gateway's ``/media/`` route)."""

from __future__ import annotations

import hashlib
import hmac
import os
import time
from datetime import timedelta
from urllib.parse import quote, urlencode

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


class MediaRoute:
    """Signed, expiring links to the gateway's ``/media/`` route: every file of the local
    backend, and the playlists of any backend (served there with a link per file)."""

    def __init__(self, public_url: str, signer: UrlSigner) -> None:
        self._public_url = public_url.rstrip("/")
        self.signer = signer

    def url(self, key: str, lifetime: timedelta) -> str:
        expires = int(time.time() + lifetime.total_seconds())
        query = urlencode({"expires": expires, "signature": self.signer.signature(key, expires)})
        return f"{self._public_url}/{quote(key)}?{query}"


def media_route(settings: RuntimeSettings) -> MediaRoute:
    """The gateway's ``/media/`` route as ``VP_MEDIA_URL`` and ``VP_MEDIA_SECRET`` name it."""
    return MediaRoute(settings.media_url, UrlSigner(media_secret(settings)))


_RANDOM_SECRET = os.urandom(32).hex()


def media_secret(settings: RuntimeSettings) -> str:
    """``VP_MEDIA_SECRET``, or a random one that only this process knows (links it signs only
    work when this same process serves them)."""
    return settings.media_secret.get_secret_value() if settings.media_secret else _RANDOM_SECRET
