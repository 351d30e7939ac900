"""A creator's own files (assets): a reference character, a scene's background, their own
narration, music. Uploaded straight to object storage with a presigned PUT, then checked here:
the size against the kind's limit, the content sniffed from its first bytes (never trusted by
the file name or the declared type). A file that fails is deleted at once: nothing unchecked
stays stored. Stories and scenes refer to an asset by id; only its owner can.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Protocol

from vp_contracts.ids import new_id
from vp_contracts.story.errors import InvalidInput, NotFound
from vp_runtime.media.sniff import CLIPS, IMAGES, SNIFF_BYTES, SOUNDS, Unrecognised, sniff
from vp_runtime.storage import Storage, asset_key
from vp_runtime.web.auth import Principal

UPLOAD_LINK_LIFETIME = timedelta(minutes=15)
PENDING_LIFETIME = timedelta(hours=1)
"""An upload not completed by then is given up: its file (never checked) and record go."""


class AssetKind(StrEnum):
    CHARACTER = "character"
    """A reference picture of the character: cut out and used in every scene."""
    BACKGROUND = "background"
    """A scene's background: a still or a clip."""
    NARRATION = "narration"
    """A scene's narration in the creator's own voice."""
    MUSIC = "music"
    """Background music for the whole story."""


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

    async def pending_before(self, moment: datetime) -> list[Asset]:
        """Pending assets created before ``moment``."""
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

    async def usable(self, caller: Principal, asset_id: str, kind: AssetKind, field: str) -> Asset:
        """The caller's own ready asset of ``kind``, for a story to refer to in ``field``."""
        asset = await self.own(caller, asset_id)
        if asset.owner_id != caller.user_id:
            raise NotFound(f"asset {asset_id} does not exist")
        if asset.status != AssetStatus.READY:
            raise InvalidInput.field(field, "the asset's upload is not complete yet")
        if asset.kind != kind:
            raise InvalidInput.field(
                field,
                f"the asset is {asset.kind.value}, not {kind.value}: upload one as {kind.value}",
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

    async def expire_pending(self) -> int:
        """Give up uploads not completed within :data:`PENDING_LIFETIME`: an unchecked file is
        never kept. Returns how many went (any replica may run it: deleting twice is fine)."""
        stale = await self._records.pending_before(self._clock() - PENDING_LIFETIME)
        for asset in stale:
            await self._storage.delete(asset.key)
            await self._records.remove(asset.id)
        return len(stale)
