"""Assets: the content decides what a file is (never its name or declared type), limits per
kind, a refused file leaves nothing stored, only the owner sees an asset."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from vp_contracts.story.errors import InvalidInput, NotFound
from vp_gateway.service.assets import (
    AssetKind,
    Assets,
    AssetStatus,
)
from vp_runtime.media.sniff import Unrecognised, sniff
from vp_runtime.storage import InMemoryStorage, asset_key
from vp_runtime.web.auth import Principal

from tests.support.assets import AssetRecords, picture, sound

OWNER = Principal("user-1", "a@example.com", "user")
OTHER = Principal("user-2", "b@example.com", "user")
ADMIN = Principal("admin-1", "admin@example.com", "admin")


def service() -> tuple[Assets, InMemoryStorage, AssetRecords]:
    storage, records = InMemoryStorage(), AssetRecords()
    return Assets(records, storage, lambda: datetime(2026, 12, 2, tzinfo=UTC)), storage, records


def test_the_content_says_what_a_file_is() -> None:
    assert sniff(picture("PNG")) == sniff(picture("PNG"))
    png = sniff(picture("PNG", (320, 200)))
    assert (png.content_type, png.width, png.height) == ("image/png", 320, 200)
    jpeg = sniff(picture("JPEG", (64, 48)))
    assert (jpeg.content_type, jpeg.width, jpeg.height) == ("image/jpeg", 64, 48)
    assert sniff(picture("WEBP")).content_type == "image/webp"
    wav = sniff(sound(2.5))
    assert (wav.content_type, wav.duration_seconds) == ("audio/wav", 2.5)
    assert sniff(b"\x00\x00\x00\x18ftypmp42" + bytes(16)).content_type == "video/mp4"
    assert sniff(b"ID3\x04" + bytes(32)).content_type == "audio/mpeg"
    with pytest.raises(Unrecognised, match="text"):
        sniff(b"<svg xmlns='http://www.w3.org/2000/svg'></svg>")  # named fox.png
    with pytest.raises(Unrecognised, match="not a PNG"):
        sniff(b"\x89PNX" + bytes(60))


async def test_an_upload_becomes_ready_with_what_its_content_is() -> None:
    assets, storage, _ = service()
    upload = await assets.start_upload(OWNER, AssetKind.CHARACTER, "fox.png", "image/png", 5000)
    assert upload.asset.status == AssetStatus.PENDING and upload.method == "PUT"
    await storage.put_bytes(upload.asset.key, picture("JPEG", (64, 48)), "image/png")
    ready = await assets.complete(OWNER, upload.asset.id)
    assert ready.status == AssetStatus.READY and ready.content_type == "image/jpeg"  # sniffed
    assert (ready.width, ready.height) == (64, 48)
    assert ready.key == asset_key("user-1", ready.id)


@pytest.mark.parametrize(
    ("kind", "content_type", "size", "field"),
    [
        (AssetKind.CHARACTER, "image/gif", 100, "content_type"),
        (AssetKind.MUSIC, "image/png", 100, "content_type"),
        (AssetKind.CHARACTER, "image/png", 16 * 2**20, "size_bytes"),
    ],
)
async def test_a_wrong_type_or_size_is_refused_before_any_upload(
    kind: AssetKind, content_type: str, size: int, field: str
) -> None:
    assets, _, records = service()
    with pytest.raises(InvalidInput) as refused:
        await assets.start_upload(OWNER, kind, "x", content_type, size)
    assert refused.value.details["errors"][0]["field"] == field
    assert records.rows == {}


async def test_a_file_pretending_to_be_a_picture_is_deleted_with_its_asset() -> None:
    assets, storage, records = service()
    upload = await assets.start_upload(OWNER, AssetKind.CHARACTER, "fox.png", "image/png", 50)
    await storage.put_bytes(upload.asset.key, b"#!/bin/sh\necho hello\n", "image/png")
    with pytest.raises(InvalidInput, match="text"):
        await assets.complete(OWNER, upload.asset.id)
    assert upload.asset.key not in storage.objects and records.rows == {}


async def test_a_sound_where_a_picture_belongs_is_refused() -> None:
    assets, storage, records = service()
    upload = await assets.start_upload(OWNER, AssetKind.BACKGROUND, "bg.png", "image/png", 50)
    await storage.put_bytes(upload.asset.key, sound(), "image/png")
    with pytest.raises(InvalidInput, match="audio/wav, which a background cannot be"):
        await assets.complete(OWNER, upload.asset.id)
    assert records.rows == {}


async def test_an_oversized_upload_is_refused_when_completed() -> None:
    """S3 cannot limit a presigned PUT: the stored size is checked afterwards."""
    assets, storage, records = service()
    upload = await assets.start_upload(OWNER, AssetKind.CHARACTER, "a.png", "image/png", 10)
    await storage.put_bytes(upload.asset.key, picture() + bytes(16 * 2**20), "image/png")
    with pytest.raises(InvalidInput, match="at most 15 MB"):
        await assets.complete(OWNER, upload.asset.id)
    assert storage.objects == {} and records.rows == {}


async def test_only_the_owner_sees_uses_and_deletes_an_asset() -> None:
    assets, storage, _ = service()
    upload = await assets.start_upload(OWNER, AssetKind.MUSIC, "song.wav", "audio/wav", 100)
    await storage.put_bytes(upload.asset.key, sound(), "audio/wav")
    asset_id = (await assets.complete(OWNER, upload.asset.id)).id
    for attempt in (assets.own(OTHER, asset_id), assets.delete(OTHER, asset_id)):
        with pytest.raises(NotFound):
            await attempt
    with pytest.raises(NotFound):
        await assets.usable(ADMIN, asset_id, AssetKind.MUSIC, "music")  # admins read, never use
    assert (await assets.own(ADMIN, asset_id)).id == asset_id
    assert [a.id for a in await assets.listed(OTHER, None)] == []
    assert [a.id for a in await assets.listed(ADMIN, None)] == [asset_id]
    with pytest.raises(InvalidInput, match="is music, not background"):
        await assets.usable(OWNER, asset_id, AssetKind.BACKGROUND, "background_asset_id")
    await assets.delete(OWNER, asset_id)
    assert storage.objects == {}
    with pytest.raises(NotFound):
        await assets.own(OWNER, asset_id)


async def test_an_upload_never_completed_is_given_up_with_its_file() -> None:
    moment = [datetime(2026, 12, 2, 10, 0, tzinfo=UTC)]
    storage, records = InMemoryStorage(), AssetRecords()
    assets = Assets(records, storage, lambda: moment[0])
    left = await assets.start_upload(OWNER, AssetKind.MUSIC, "a.wav", "audio/wav", 100)
    await storage.put_bytes(left.asset.key, b"anything at all", "audio/wav")  # never completed
    done = await assets.start_upload(OWNER, AssetKind.MUSIC, "b.wav", "audio/wav", 100)
    await storage.put_bytes(done.asset.key, sound(), "audio/wav")
    await assets.complete(OWNER, done.asset.id)
    moment[0] += timedelta(minutes=59)
    assert await assets.expire_pending() == 0  # still within its hour
    moment[0] += timedelta(minutes=2)
    assert await assets.expire_pending() == 1
    assert list(records.rows) == [done.asset.id] and list(storage.objects) == [done.asset.key]
