"""One storage suite, run against the local directory and a real S3-protocol server."""

from __future__ import annotations

import os
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from vp_contracts.story.errors import InvalidInput
from vp_gateway.service.assets import AssetKind, Assets
from vp_runtime.storage import LocalStorage, MissingObject, S3Storage, Storage, UrlSigner, check_key
from vp_runtime.web.auth import Principal

from tests.support.assets import AssetRecords, picture
from tests.support.servers import S3Endpoint

pytestmark = pytest.mark.integration


@pytest.fixture(params=["local", "s3"])
async def storage(request: pytest.FixtureRequest, tmp_path: Path, s3: S3Endpoint) -> Storage:
    if request.param == "local":
        backend: Storage = LocalStorage(
            tmp_path / "store", "http://media.test/media", UrlSigner("secret")
        )
    else:
        backend = S3Storage(s3.endpoint, s3.access_key, s3.secret_key, s3.bucket, secure=s3.secure)
    await backend.prepare()
    await backend.prepare()  # idempotent
    return backend


def _key(name: str) -> str:
    return f"stories/{uuid.uuid4()}/{name}"


async def test_bytes_round_trip(storage: Storage) -> None:
    key = _key("a.txt")
    assert await storage.size(key) is None
    assert await storage.put_bytes(key, b"hello", "text/plain") == 5
    assert await storage.get_bytes(key) == b"hello"
    assert await storage.exists(key)


async def test_a_large_file_goes_up_and_comes_back_whole(storage: Storage, tmp_path: Path) -> None:
    source = tmp_path / "big.bin"
    payload = uuid.uuid4().bytes * (20 * 1024 * 1024 // 16 + 7)  # just over 20 MB: several parts
    source.write_bytes(payload)
    key = _key("big.bin")
    assert await storage.put_file(key, source, "application/octet-stream") == len(payload)
    target = tmp_path / "copy.bin"
    await storage.download(key, target)
    assert target.read_bytes() == payload
    assert not list(tmp_path.glob(".*part*")), "no temporary files are left behind"


async def test_overwriting_replaces_the_whole_object(storage: Storage) -> None:
    key = _key("v.txt")
    await storage.put_bytes(key, b"first version, long", "text/plain")
    await storage.put_bytes(key, b"second", "text/plain")
    assert await storage.get_bytes(key) == b"second"


async def test_missing_objects_are_reported(storage: Storage, tmp_path: Path) -> None:
    with pytest.raises(MissingObject):
        await storage.get_bytes(_key("nothing"))
    with pytest.raises(MissingObject):
        await storage.download(_key("nothing"), tmp_path / "x")


@pytest.mark.parametrize("bad", ["../etc/passwd", "/abs", "a/../b", "a//b", "", "sp ace"])
def test_keys_cannot_escape_or_break_urls(bad: str) -> None:
    with pytest.raises(ValueError, match="bad storage key"):
        check_key(bad)


async def test_s3_links_download_and_expire(s3: S3Endpoint) -> None:
    storage = S3Storage(s3.endpoint, s3.access_key, s3.secret_key, s3.bucket, secure=s3.secure)
    await storage.prepare()
    key = _key("video.mp4")
    await storage.put_bytes(key, b"\x00video", "video/mp4")
    link = storage.url(key, lifetime=timedelta(minutes=5))
    async with httpx.AsyncClient() as http:
        assert (await http.get(link)).content == b"\x00video"
    query = parse_qs(urlsplit(link).query)
    assert query["X-Amz-Expires"] == ["300"] and "X-Amz-Signature" in query


def test_local_links_are_signed_and_expire(tmp_path: Path) -> None:
    signer = UrlSigner("secret")
    storage = LocalStorage(tmp_path, "http://gw/media", signer)
    link = storage.url("stories/s/preview.mp4", lifetime=timedelta(seconds=60))
    parts = urlsplit(link)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    expires = int(query["expires"])

    assert parts.path == "/media/stories/s/preview.mp4"
    assert signer.valid("stories/s/preview.mp4", expires, query["signature"])
    assert not signer.valid("stories/s/other.mp4", expires, query["signature"])
    assert not signer.valid("stories/s/preview.mp4", expires + 1, query["signature"])
    assert not signer.valid(
        "stories/s/preview.mp4", expires, query["signature"], now=time.time() + 61
    )
    assert not UrlSigner("another").valid("stories/s/preview.mp4", expires, query["signature"])


async def test_local_start_up_sweeps_stale_partial_writes_only(tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path, "http://gw/media", UrlSigner("secret"))
    await storage.put_bytes("stories/s/preview.mp4", b"video", "video/mp4")
    folder = tmp_path / "stories" / "s"
    stale, fresh = folder / ".scene.png.k3j2.part", folder / ".scene.png.x9q1.part"
    stale.write_bytes(b"half")
    fresh.write_bytes(b"half")
    hours_ago = time.time() - 2 * 3600
    os.utime(stale, (hours_ago, hours_ago))

    await storage.prepare()

    assert not stale.exists() and fresh.exists()  # a fresh one may be a write in progress
    assert await storage.get_bytes("stories/s/preview.mp4") == b"video"


async def test_head_reads_only_the_start_and_delete_removes(storage: Storage) -> None:
    key = _key("long.bin")
    await storage.put_bytes(key, bytes(range(256)) * 100, "application/octet-stream")
    assert await storage.head(key, 10) == bytes(range(10))
    await storage.delete(key)
    await storage.delete(key)  # gone already: nothing to do
    assert await storage.size(key) is None
    with pytest.raises(MissingObject):
        await storage.head(key, 10)


async def test_an_asset_goes_up_by_presigned_put_to_s3_and_is_checked(s3: S3Endpoint) -> None:
    """The browser's path on S3: the API's presigned PUT, straight to the bucket, then the
    content checked; a text file named .png is refused and leaves nothing in the bucket."""
    storage = S3Storage(s3.endpoint, s3.access_key, s3.secret_key, s3.bucket, secure=s3.secure)
    await storage.prepare()
    assets = Assets(AssetRecords(), storage, lambda: datetime.now(UTC))
    owner = Principal(str(uuid.uuid4()), "a@example.com", "user")
    good = await assets.start_upload(owner, AssetKind.CHARACTER, "fox.png", "image/png", 500)
    bad = await assets.start_upload(owner, AssetKind.CHARACTER, "fake.png", "image/png", 50)
    async with httpx.AsyncClient() as http:
        for upload, body in ((good, picture("PNG", (40, 30))), (bad, b"just some text\n")):
            answer = await http.put(upload.url, content=body, headers=upload.headers)
            assert answer.status_code == 200, answer.text
    ready = await assets.complete(owner, good.asset.id)
    assert (ready.content_type, ready.width, ready.height) == ("image/png", 40, 30)
    assert await storage.head(ready.key, 8) == b"\x89PNG\r\n\x1a\n"
    with pytest.raises(InvalidInput, match="text"):
        await assets.complete(owner, bad.asset.id)
    assert await storage.size(bad.asset.key) is None
