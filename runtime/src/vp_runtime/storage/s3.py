"""The S3 / MinIO backend (``minio`` SDK): multipart uploads, presigned links."""

from __future__ import annotations

import asyncio
import os
from datetime import timedelta
from pathlib import Path

from minio import Minio
from minio.error import S3Error

from vp_runtime.storage.port import DEFAULT_LINK_LIFETIME, MissingObject, Storage, check_key

MULTIPART_PART_SIZE = 16 * 1024 * 1024


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
        return await self._read(key, 0)

    async def head(self, key: str, size: int) -> bytes:
        return await self._read(key, size)

    async def _read(self, key: str, length: int) -> bytes:
        """The object's bytes: the first ``length`` of them, or all when 0."""

        def get() -> bytes:
            response = self._client.get_object(self.bucket, check_key(key), 0, length)
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

    def upload_url(self, key: str, lifetime: timedelta, max_bytes: int) -> str:
        """A presigned PUT (S3 cannot limit a presigned PUT's size: it is checked after)."""
        return self._signing.presigned_put_object(self.bucket, check_key(key), expires=lifetime)

    async def delete(self, key: str) -> None:
        await asyncio.to_thread(self._client.remove_object, self.bucket, check_key(key))


def _missing_or(error: S3Error, key: str) -> Exception:
    if error.code in ("NoSuchKey", "NoSuchObject", "NotFound"):
        return MissingObject(key)
    return error
