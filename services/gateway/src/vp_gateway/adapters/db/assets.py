"""Creators' assets in the ``assets`` table."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from vp_gateway.adapters.db.tables import AssetRow
from vp_gateway.service.assets import Asset, AssetKind, AssetStatus


class SqlAssets:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def add(self, asset: Asset) -> None:
        async with self._sessions.begin() as session:
            session.add(_row(asset))

    async def get(self, asset_id: str) -> Asset | None:
        async with self._sessions() as session:
            row = await session.get(AssetRow, asset_id)
        return None if row is None else _asset(row)

    async def update(self, asset: Asset) -> None:
        async with self._sessions.begin() as session:
            await session.merge(_row(asset))

    async def remove(self, asset_id: str) -> None:
        async with self._sessions.begin() as session:
            await session.execute(delete(AssetRow).where(AssetRow.id == asset_id))

    async def of_owner(self, owner_id: str | None, kind: AssetKind | None) -> list[Asset]:
        query = select(AssetRow).order_by(AssetRow.created_at.desc(), AssetRow.id.desc())
        if owner_id is not None:
            query = query.where(AssetRow.owner_id == owner_id)
        if kind is not None:
            query = query.where(AssetRow.kind == kind.value)
        async with self._sessions() as session:
            rows = (await session.scalars(query.limit(500))).all()
        return [_asset(row) for row in rows]

    async def pending_before(self, moment: datetime) -> list[Asset]:
        query = select(AssetRow).where(
            AssetRow.status == AssetStatus.PENDING.value, AssetRow.created_at < moment
        )
        async with self._sessions() as session:
            rows = (await session.scalars(query.limit(1000))).all()
        return [_asset(row) for row in rows]


def _row(asset: Asset) -> AssetRow:
    return AssetRow(
        id=asset.id,
        owner_id=asset.owner_id,
        kind=asset.kind.value,
        filename=asset.filename,
        content_type=asset.content_type,
        status=asset.status.value,
        size_bytes=asset.size_bytes,
        width=asset.width,
        height=asset.height,
        duration_seconds=asset.duration_seconds,
        created_at=asset.created_at,
    )


def _asset(row: AssetRow) -> Asset:
    return Asset(
        id=row.id,
        owner_id=row.owner_id,
        kind=AssetKind(row.kind),
        filename=row.filename,
        content_type=row.content_type,
        status=AssetStatus(row.status),
        created_at=row.created_at,
        size_bytes=row.size_bytes,
        width=row.width,
        height=row.height,
        duration_seconds=row.duration_seconds,
    )
