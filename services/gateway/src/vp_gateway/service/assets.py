"""A creator's own files (assets): a reference character, a scene's background, their own
narration, music. Uploaded straight to object storage with a presigned PUT, then checked here:
the size against the kind's limit, the content sniffed from its first bytes (never trusted by
the file name or the declared type). A file that fails is deleted at once: nothing unchecked
stays stored. Stories and scenes refer to an asset by id; only its owner can.
"""

from __future__ import annotations

import io
import wave
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Protocol

from vp_contracts.ids import new_id
from vp_contracts.story.errors import InvalidInput, NotFound
from vp_runtime.storage import Storage
from vp_runtime.web.auth import Principal

UPLOAD_LINK_LIFETIME = timedelta(minutes=15)
SNIFF_BYTES = 64 * 1024
"""How much of a file is read to tell what it is (a WAV's header, an image's size)."""


class AssetKind(StrEnum):
    CHARACTER = "character"
    """A reference picture of the character: cut out and used in every scene."""
    BACKGROUND = "background"
    """A scene's background: a still or a clip."""
    NARRATION = "narration"
    """A scene's narration in the creator's own voice."""
    MUSIC = "music"
    """Background music for the whole story."""


IMAGES = frozenset({"image/png", "image/jpeg", "image/webp"})
CLIPS = frozenset({"video/mp4", "video/webm", "video/quicktime"})
SOUNDS = frozenset({"audio/wav", "audio/mpeg", "audio/flac", "audio/ogg", "audio/mp4"})
ACCEPTED: dict[AssetKind, frozenset[str]] = {
    AssetKind.CHARACTER: IMAGES,
    AssetKind.BACKGROUND: IMAGES | CLIPS,
    AssetKind.NARRATION: SOUNDS,
    AssetKind.MUSIC: SOUNDS,
}
MAX_BYTES: dict[AssetKind, int] = {
    AssetKind.CHARACTER: 15 * 1024 * 1024,
    AssetKind.BACKGROUND: 200 * 1024 * 1024,
    AssetKind.NARRATION: 30 * 1024 * 1024,
    AssetKind.MUSIC: 50 * 1024 * 1024,
}
EXTENSIONS = {
    "image/png": "png",
    "image/jpeg": "jpg",
    "image/webp": "webp",
    "video/mp4": "mp4",
    "video/webm": "webm",
    "video/quicktime": "mov",
    "audio/wav": "wav",
    "audio/mpeg": "mp3",
    "audio/flac": "flac",
    "audio/ogg": "ogg",
    "audio/mp4": "m4a",
}


class AssetStatus(StrEnum):
    PENDING = "pending"
    """Created; waiting for the file to be uploaded and checked."""
    READY = "ready"
    """Uploaded and checked: stories may use it."""


@dataclass(frozen=True)
class Asset:
    id: str
    owner_id: str
    kind: AssetKind
    filename: str
    content_type: str
    """Declared while pending; what the content is once ready."""
    status: AssetStatus
    created_at: datetime
    size_bytes: int | None = None
    width: int | None = None
    height: int | None = None
    duration_seconds: float | None = None

    @property
    def key(self) -> str:
        return asset_key(self.owner_id, self.id)


def asset_key(owner_id: str, asset_id: str) -> str:
    """Where an asset's file is stored (services derive it from the story's owner)."""
    return f"assets/{owner_id}/{asset_id}"


@dataclass(frozen=True)
class Sniffed:
    """What a file's first bytes say it is."""

    content_type: str
    width: int | None = None
    height: int | None = None
    duration_seconds: float | None = None


class Unrecognised(ValueError):
    """The content is none of the types accepted."""


def sniff(head: bytes) -> Sniffed:
    """The type (and size or length where the header says) of a file from its first bytes."""
    if head.startswith(b"\x89PNG\r\n\x1a\n") and head[12:16] == b"IHDR":
        width, height = int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big")
        return Sniffed("image/png", width, height)
    if head.startswith(b"\xff\xd8\xff"):
        return Sniffed("image/jpeg", *_jpeg_size(head))
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return Sniffed("image/webp")
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return Sniffed("audio/wav", duration_seconds=_wav_seconds(head))
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in (b"M4A ", b"M4B "):
            return Sniffed("audio/mp4")
        return Sniffed("video/quicktime" if brand == b"qt  " else "video/mp4")
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return Sniffed("video/webm")
    if head.startswith(b"ID3") or (len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0):
        return Sniffed("audio/mpeg")
    if head.startswith(b"fLaC"):
        return Sniffed("audio/flac")
    if head.startswith(b"OggS"):
        return Sniffed("audio/ogg")
    raise Unrecognised(_looks_like(head))


def _jpeg_size(head: bytes) -> tuple[int | None, int | None]:
    """Width and height from the first start-of-frame marker, if within ``head``."""
    at = 2
    while at + 9 < len(head) and head[at] == 0xFF:
        marker, length = head[at + 1], int.from_bytes(head[at + 2 : at + 4], "big")
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            height = int.from_bytes(head[at + 5 : at + 7], "big")
            return int.from_bytes(head[at + 7 : at + 9], "big"), height
        at += 2 + length
    return None, None


def _wav_seconds(head: bytes) -> float | None:
    try:
        with wave.open(io.BytesIO(head)) as audio:
            rate, frames = audio.getframerate(), audio.getnframes()
    except (wave.Error, EOFError):
        return None
    # getnframes reads the header's data size: right even though only the head is here.
    return round(frames / rate, 3) if rate else None


def _looks_like(head: bytes) -> str:
    if not head:
        return "the file is empty"
    if all(32 <= byte < 127 or byte in b"\t\r\n" for byte in head[:512]):
        return "the file is text, not a picture, a video or a sound"
    return "the file is not a PNG, JPEG or WebP picture, an MP4 or WebM video, nor a WAV, MP3, FLAC, Ogg or M4A sound"


@dataclass(frozen=True)
class Upload:
    """Where and how the client sends the file."""

    asset: Asset
    url: str
    method: str
    headers: dict[str, str]
    expires_at: datetime


class AssetRecords(Protocol):
    async def add(self, asset: Asset) -> None: ...

    async def get(self, asset_id: str) -> Asset | None: ...

    async def update(self, asset: Asset) -> None: ...

    async def remove(self, asset_id: str) -> None: ...

    async def of_owner(self, owner_id: str | None, kind: AssetKind | None) -> list[Asset]:
        """Newest first; every owner's when ``owner_id`` is None."""
        ...


class Assets:
    def __init__(
        self, records: AssetRecords, storage: Storage, clock: Callable[[], datetime]
    ) -> None:
        self._records = records
        self._storage = storage
        self._clock = clock

    async def start_upload(
        self, caller: Principal, kind: AssetKind, filename: str, content_type: str, size: int
    ) -> Upload:
        """A new pending asset and the link its file is PUT to; the declared type and size are
        checked now (and the content again when the upload completes)."""
        accepted = ACCEPTED[kind]
        if content_type not in accepted:
            raise InvalidInput.field(
                "content_type", f"a {kind.value} is one of {', '.join(sorted(accepted))}"
            )
        if size > MAX_BYTES[kind]:
            raise InvalidInput.field(
                "size_bytes", f"a {kind.value} is at most {MAX_BYTES[kind] // 2**20} MB"
            )
        now = self._clock()
        asset = Asset(
            new_id(), caller.user_id, kind, filename, content_type, AssetStatus.PENDING, now
        )
        await self._records.add(asset)
        url = self._storage.upload_url(asset.key, UPLOAD_LINK_LIFETIME, MAX_BYTES[kind])
        return Upload(asset, url, "PUT", {"Content-Type": content_type}, now + UPLOAD_LINK_LIFETIME)

    async def complete(self, caller: Principal, asset_id: str) -> Asset:
        """Check the uploaded file: there, within the kind's size, of an accepted type by its
        content. A file that fails is deleted and the asset with it (the error says why)."""
        asset = await self.own(caller, asset_id)
        if asset.status == AssetStatus.READY:
            return asset
        size = await self._storage.size(asset.key)
        if size is None:
            raise InvalidInput.field("file", "nothing was uploaded yet: PUT the file first")
        try:
            if size > MAX_BYTES[asset.kind]:
                raise Unrecognised(
                    f"the file has {size} bytes; a {asset.kind.value} is at most"
                    f" {MAX_BYTES[asset.kind] // 2**20} MB"
                )
            found = sniff(await self._storage.head(asset.key, SNIFF_BYTES))
            if found.content_type not in ACCEPTED[asset.kind]:
                raise Unrecognised(
                    f"the file is {found.content_type}, which a {asset.kind.value} cannot be"
                    f" ({', '.join(sorted(ACCEPTED[asset.kind]))})"
                )
        except Unrecognised as refused:
            await self._storage.delete(asset.key)
            await self._records.remove(asset.id)
            raise InvalidInput.field("file", str(refused)) from None
        ready = replace(
            asset,
            status=AssetStatus.READY,
            content_type=found.content_type,
            size_bytes=size,
            width=found.width,
            height=found.height,
            duration_seconds=found.duration_seconds,
        )
        await self._records.update(ready)
        return ready

    async def own(self, caller: Principal, asset_id: str) -> Asset:
        """The caller's asset (an admin may read anyone's); another user's is not found."""
        asset = await self._records.get(asset_id)
        if asset is None or (asset.owner_id != caller.user_id and not caller.is_admin):
            raise NotFound(f"asset {asset_id} does not exist")
        return asset

    async def usable(self, caller: Principal, asset_id: str, kinds: set[AssetKind]) -> Asset:
        """The caller's own ready asset of one of ``kinds``, for a story to refer to."""
        asset = await self.own(caller, asset_id)
        if asset.owner_id != caller.user_id:
            raise NotFound(f"asset {asset_id} does not exist")
        if asset.status != AssetStatus.READY:
            raise InvalidInput.field("asset_id", "the asset's upload is not complete yet")
        if asset.kind not in kinds:
            wanted = " or ".join(sorted(kind.value for kind in kinds))
            raise InvalidInput.field(
                "asset_id", f"the asset is {asset.kind.value}, not {wanted}: upload one as {wanted}"
            )
        return asset

    async def listed(self, caller: Principal, kind: AssetKind | None) -> list[Asset]:
        return await self._records.of_owner(None if caller.is_admin else caller.user_id, kind)

    async def delete(self, caller: Principal, asset_id: str) -> None:
        asset = await self.own(caller, asset_id)
        if asset.owner_id != caller.user_id:
            raise NotFound(f"asset {asset_id} does not exist")
        await self._storage.delete(asset.key)
        await self._records.remove(asset.id)
