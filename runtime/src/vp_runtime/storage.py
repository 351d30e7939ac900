"""Object storage behind one interface: S3/MinIO (``minio`` SDK) or a local directory.

Writes are atomic (a reader sees the whole object or nothing). Download links expire:
presigned GETs on S3, HMAC-signed URLs on the local backend (served by the gateway).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import os
import re
import shutil
import tempfile
import time
from abc import ABC, abstractmethod
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote, urlencode

from minio import Minio
from minio.error import S3Error

from vp_runtime.settings import RuntimeSettings

_KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,511}$")
DEFAULT_LINK_LIFETIME = timedelta(hours=6)
MULTIPART_PART_SIZE = 16 * 1024 * 1024
STALE_PARTIAL_SECONDS = 3600.0
"""A local partial write this old was left by a killed process (see ``sweep_partial``)."""


class MissingObject(KeyError):
    """No object with that key."""


def check_key(key: str) -> str:
    """Keys are relative paths of safe characters, never climbing out with '..'."""
    if not _KEY.fullmatch(key) or ".." in key.split("/") or "//" in key:
        raise ValueError(f"bad storage key {key!r}")
    return key


class Storage(ABC):
    """Where generated assets and videos live."""

    @abstractmethod
    async def prepare(self) -> None:
        """Create the bucket or directory if missing."""

    @abstractmethod
    async def put_file(self, key: str, path: Path, content_type: str) -> int:
        """Store a file under ``key`` atomically; returns its size."""

    @abstractmethod
    async def put_bytes(self, key: str, data: bytes, content_type: str) -> int:
        """Store bytes under ``key`` atomically; returns the size."""

    @abstractmethod
    async def get_bytes(self, key: str) -> bytes:
        """The object's bytes; raises :class:`MissingObject`."""

    @abstractmethod
    async def download(self, key: str, path: Path) -> None:
        """Copy the object to ``path`` (atomically); raises :class:`MissingObject`."""

    @abstractmethod
    async def size(self, key: str) -> int | None:
        """Size in bytes, or None when there is no such object."""

    async def exists(self, key: str) -> bool:
        return await self.size(key) is not None

    @abstractmethod
    def url(self, key: str, lifetime: timedelta = DEFAULT_LINK_LIFETIME) -> str:
        """A download link that stops working after ``lifetime``."""


class UrlSigner:
    """HMAC-SHA256 signatures of ``key`` + expiry, for links served by the gateway."""

    def __init__(self, secret: str) -> None:
        self._secret = secret.encode()

    def signature(self, key: str, expires: int) -> str:
        return hmac.new(self._secret, f"{key}\n{expires}".encode(), hashlib.sha256).hexdigest()

    def valid(self, key: str, expires: int, signature: str, now: float | None = None) -> bool:
        if (now if now is not None else time.time()) > expires:
            return False
        return hmac.compare_digest(self.signature(key, expires), signature)


class LocalStorage(Storage):
    """A directory; links point at the gateway's ``/media/`` route."""

    def __init__(self, root: Path, public_url: str, signer: UrlSigner) -> None:
        self.root = root
        self._public_url = public_url.rstrip("/")
        self._signer = signer

    def path(self, key: str) -> Path:
        return self.root / check_key(key)

    async def prepare(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        await asyncio.to_thread(self.sweep_partial, STALE_PARTIAL_SECONDS)

    def sweep_partial(self, older_than: float) -> int:
        """Delete partial writes older than ``older_than`` seconds; how many were deleted.

        A write goes to a hidden ``.part`` file that becomes the object only when complete;
        a process killed mid-write leaves that file behind (never a broken object).
        """
        cutoff = time.time() - older_than
        swept = 0
        for partial in self.root.rglob(".*.part"):
            with contextlib.suppress(FileNotFoundError):  # finished or swept meanwhile
                if partial.stat().st_mtime <= cutoff:
                    partial.unlink()
                    swept += 1
        return swept

    async def put_file(self, key: str, path: Path, content_type: str) -> int:
        return await asyncio.to_thread(self._put, key, lambda out: shutil.copyfile(path, out))

    async def put_bytes(self, key: str, data: bytes, content_type: str) -> int:
        return await asyncio.to_thread(self._put, key, lambda out: Path(out).write_bytes(data))

    def _put(self, key: str, write: object) -> int:
        target = self.path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(
            dir=target.parent, prefix=f".{target.name}.", suffix=".part"
        )
        os.close(fd)
        try:
            write(temporary)  # type: ignore[operator]
            os.replace(temporary, target)
        finally:
            if os.path.exists(temporary):
                os.unlink(temporary)
        return target.stat().st_size

    async def get_bytes(self, key: str) -> bytes:
        try:
            return await asyncio.to_thread(self.path(key).read_bytes)
        except FileNotFoundError:
            raise MissingObject(key) from None

    async def download(self, key: str, path: Path) -> None:
        source = self.path(key)
        if not source.exists():
            raise MissingObject(key)
        await asyncio.to_thread(_atomic_copy, source, path)

    async def size(self, key: str) -> int | None:
        try:
            return self.path(key).stat().st_size
        except FileNotFoundError:
            return None

    def url(self, key: str, lifetime: timedelta = DEFAULT_LINK_LIFETIME) -> str:
        expires = int(time.time() + lifetime.total_seconds())
        query = urlencode(
            {"expires": expires, "signature": self._signer.signature(check_key(key), expires)}
        )
        return f"{self._public_url}/{quote(key)}?{query}"


def _atomic_copy(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
    os.close(fd)
    try:
        shutil.copyfile(source, temporary)
        os.replace(temporary, target)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)


class S3Storage(Storage):
    """A bucket on S3 or MinIO. Large files go up in 16 MB parts (multipart upload)."""

    def __init__(
        self,
        endpoint: str,
        access_key: str,
        secret_key: str,
        bucket: str,
        *,
        secure: bool = False,
        region: str = "us-east-1",
        public_endpoint: str | None = None,
    ) -> None:
        self._client = Minio(endpoint, access_key, secret_key, secure=secure, region=region)
        # Links must name the host browsers can reach, which may differ from the internal one.
        self._signing = (
            Minio(public_endpoint, access_key, secret_key, secure=secure, region=region)
            if public_endpoint
            else self._client
        )
        self.bucket = bucket

    async def prepare(self) -> None:
        def make() -> None:
            if not self._client.bucket_exists(self.bucket):
                try:
                    self._client.make_bucket(self.bucket)
                except S3Error as error:  # another replica made it first
                    if error.code not in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
                        raise

        await asyncio.to_thread(make)

    async def put_file(self, key: str, path: Path, content_type: str) -> int:
        await asyncio.to_thread(
            self._client.fput_object,
            self.bucket,
            check_key(key),
            str(path),
            content_type=content_type,
            part_size=MULTIPART_PART_SIZE,
        )
        return path.stat().st_size  # noqa: ASYNC240 - one stat of a local file

    async def put_bytes(self, key: str, data: bytes, content_type: str) -> int:
        import io

        await asyncio.to_thread(
            self._client.put_object,
            self.bucket,
            check_key(key),
            io.BytesIO(data),
            len(data),
            content_type=content_type,
        )
        return len(data)

    async def get_bytes(self, key: str) -> bytes:
        def get() -> bytes:
            response = self._client.get_object(self.bucket, check_key(key))
            try:
                return response.read()
            finally:
                response.close()
                response.release_conn()

        try:
            return await asyncio.to_thread(get)
        except S3Error as error:
            raise _missing_or(error, key) from error

    async def download(self, key: str, path: Path) -> None:
        try:
            data_path = path.parent / f".{path.name}.download"
            await asyncio.to_thread(
                self._client.fget_object, self.bucket, check_key(key), str(data_path)
            )
            os.replace(data_path, path)
        except S3Error as error:
            raise _missing_or(error, key) from error

    async def size(self, key: str) -> int | None:
        try:
            stat = await asyncio.to_thread(self._client.stat_object, self.bucket, check_key(key))
        except S3Error as error:
            if error.code in ("NoSuchKey", "NoSuchObject", "NotFound"):
                return None
            raise
        return stat.size

    def url(self, key: str, lifetime: timedelta = DEFAULT_LINK_LIFETIME) -> str:
        return self._signing.presigned_get_object(self.bucket, check_key(key), expires=lifetime)


def _missing_or(error: S3Error, key: str) -> Exception:
    if error.code in ("NoSuchKey", "NoSuchObject", "NotFound"):
        return MissingObject(key)
    return error


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


_RANDOM_SECRET = os.urandom(32).hex()


def media_secret(settings: RuntimeSettings) -> str:
    """``VP_MEDIA_SECRET``, or a random one that only this process knows (links it signs only
    work when this same process serves them)."""
    return settings.media_secret.get_secret_value() if settings.media_secret else _RANDOM_SECRET
