"""Object storage behind one interface (:class:`Storage`): S3/MinIO in production, a local
directory as the embedded default, an in-memory one for unit tests.
"""

from __future__ import annotations

from pathlib import Path

from vp_runtime.settings import RuntimeSettings
from vp_runtime.storage.links import SignedLinks
from vp_runtime.storage.local import LocalStorage
from vp_runtime.storage.memory import InMemoryStorage
from vp_runtime.storage.port import (
    DEFAULT_LINK_LIFETIME,
    MissingObject,
    Storage,
    asset_key,
    check_key,
)
from vp_runtime.storage.s3 import S3Storage
from vp_runtime.storage.signer import MediaRoute, UrlSigner, media_route, media_secret

__all__ = [
    "DEFAULT_LINK_LIFETIME",
    "InMemoryStorage",
    "LocalStorage",
    "MediaRoute",
    "MissingObject",
    "S3Storage",
    "SignedLinks",
    "Storage",
    "UrlSigner",
    "asset_key",
    "check_key",
    "media_route",
    "media_secret",
    "storage_from",
]


def storage_from(settings: RuntimeSettings) -> Storage:
    """The backend ``settings`` name (``VP_STORAGE_BACKEND``)."""
    if settings.storage_backend == "s3":
        endpoint = settings.s3_endpoint.split("://", 1)[-1]
        return S3Storage(
            endpoint,
            settings.s3_access_key.get_secret_value(),
            settings.s3_secret_key.get_secret_value(),
            settings.s3_bucket,
            secure=settings.s3_secure or settings.s3_endpoint.startswith("https://"),
            region=settings.s3_region,
            public_endpoint=settings.s3_public_endpoint,
        )
    return LocalStorage(
        Path(settings.storage_dir), settings.media_url, UrlSigner(media_secret(settings))
    )
