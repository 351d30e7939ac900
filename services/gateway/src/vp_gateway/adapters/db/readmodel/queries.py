"""The read model's queries: pages of stories and jobs, scenes, history, the rows statistics
are made from; stories come back as the reference fold stored them."""

from __future__ import annotations

import functools
from collections import OrderedDict
from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from vp_contracts.story import snapshot
from vp_contracts.story.view import SceneView, StoryView

from vp_gateway.adapters.db.readmodel.cursor import PageOf, cut, keyset, keyset_params, page
from vp_gateway.adapters.db.reads import Reads, Statement
from vp_gateway.adapters.db.tables import (
    READ_MODEL,
    CostRow,
    HistoryRow,
    JobRow,
    SceneRow,
    StoryRow,
)


class ReadModelOutdated(RuntimeError):
    """Stored views were made by another revision of the fold: rebuild the read model."""


def scene_data(story_id: str, scene: SceneView) -> dict[str, Any]:
    """A scene as stored in the read model: storage keys, not links."""
    spec = scene.spec
    assets = scene.assets
    return {
        "id": spec.scene_id,
        "story": story_id,
        "position": spec.position,
        "duration_seconds": spec.duration_seconds,
        "prompt": spec.prompt.model_dump(mode="json"),
        "narration": spec.narration,
        "seed": spec.seed,
        "transition": spec.transition.value if spec.transition else None,
        "background_asset_id": spec.background_asset_id,
        "narration_asset_id": spec.narration_asset_id,
        "status": scene.status.value,
        "keys": {
            "background": assets.background_key if assets else None,
            "character": assets.character_key if assets else None,
            "clip": assets.clip_key if assets else None,
            "narration": assets.narration_key if assets else None,
        },
        "provider": scene.provider,
        "cost": str(scene.cost),
        "error": scene.error,
    }


GENERATING = ("planning", "previewing", "rendering")


@functools.cache
def story_page(owner: bool, status: bool, after: bool) -> Statement:
    """The statement of a page of stories, one per shape (see :func:`keyset`)."""
    query = select(
        StoryRow.id, StoryRow.version, StoryRow.view, StoryRow.stale, StoryRow.created_at
    )
    if owner:
        query = query.where(StoryRow.owner_id == bindparam("owner_id"))
    if status:
        query = query.where(StoryRow.status == bindparam("status"))
    return keyset(query, StoryRow, after)


class StoryQueries:
    _sessions: async_sessionmaker[AsyncSession]
    _reads: async_sessionmaker[AsyncSession]
    """Autocommit sessions for the one-statement queries."""
    _driver: Reads
    """The hottest ones (pages of stories), on the driver where that pays."""
    _views: StoredViews

    async def stories(
        self, owner_id: str | None, status: str | None, limit: int, cursor: str | None
    ) -> PageOf:
        """A page of ``(view, stale)``: stale when a fact of the story is parked."""
        params = keyset_params(limit, cursor)
        if owner_id is not None:
            params["owner_id"] = owner_id
        if status is not None:
            params["status"] = status
        statement = story_page(owner_id is not None, status is not None, cursor is not None)
        rows, next_cursor = cut(list(await self._driver.rows(statement, params)), limit)
        return PageOf([(self._views.of(row), row.stale) for row in rows], next_cursor)

    async def variants(self, story_id: str) -> list[StoryView]:
        """The variants made from ``story_id``, oldest first (made together: by id)."""
        query = (
            select(
                StoryRow.id, StoryRow.version, StoryRow.view, StoryRow.stale, StoryRow.created_at
            )
            .where(StoryRow.variant_of == story_id)
            .order_by(StoryRow.created_at, StoryRow.id)
        )
        async with self._reads() as session:
            rows = (await session.execute(query.limit(100))).all()
        return [self._views.of(row) for row in rows]

    async def in_generation(self, owner_id: str) -> list[str]:
        """Ids of the owner's stories being planned, previewed or rendered."""
        query = select(StoryRow.id).where(
            StoryRow.owner_id == owner_id, StoryRow.status.in_(GENERATING)
        )
        async with self._reads() as session:
            return list((await session.scalars(query.limit(1000))).all())

    async def scenes(
        self, owner_id: str | None, story_id: str | None, status: str | None
    ) -> list[dict[str, Any]]:
        query = select(SceneRow).order_by(SceneRow.story_id, SceneRow.position)
        if owner_id is not None:
            query = query.where(SceneRow.owner_id == owner_id)
        if story_id is not None:
            query = query.where(SceneRow.story_id == story_id)
        if status is not None:
            query = query.where(SceneRow.status == status)
        async with self._reads() as session:
            return [row.data for row in (await session.scalars(query.limit(1000))).all()]

    async def scene_story(self, scene_id: str) -> tuple[str, str] | None:
        """``(story_id, owner_id)`` of a scene, or None."""
        async with self._reads() as session:
            row = await session.get(SceneRow, scene_id)
            return (row.story_id, row.owner_id) if row else None

    async def jobs(
        self,
        owner_id: str | None,
        story_id: str | None,
        status: str | None,
        job_type: str | None,
        limit: int,
        cursor: str | None,
    ) -> PageOf:
        query = select(JobRow)
        if owner_id is not None:
            query = query.where(JobRow.owner_id == owner_id)
        if story_id is not None:
            query = query.where(JobRow.story_id == story_id)
        if status is not None:
            query = query.where(JobRow.status == status)
        if job_type is not None:
            query = query.where(JobRow.type == job_type)
        rows, next_cursor = await page(self._reads, query, JobRow, limit, cursor)
        return PageOf(rows, next_cursor)

    async def job(self, job_id: str) -> JobRow | None:
        async with self._reads() as session:
            return await session.get(JobRow, job_id)

    async def history(self, story_id: str) -> Sequence[HistoryRow]:
        query = (
            select(HistoryRow).where(HistoryRow.story_id == story_id).order_by(HistoryRow.sequence)
        )
        async with self._reads() as session:
            return (await session.scalars(query)).all()

    async def job_rows(self, owner_id: str | None) -> Sequence[JobRow]:
        query = select(JobRow)
        if owner_id is not None:
            query = query.where(JobRow.owner_id == owner_id)
        async with self._reads() as session:
            return (await session.scalars(query)).all()

    async def ratings(self, owner_id: str | None) -> list[int]:
        """The latest rating of every rated story (of ``owner_id``, or everyone's)."""
        query = select(StoryRow.rating).where(StoryRow.rating.is_not(None))
        if owner_id is not None:
            query = query.where(StoryRow.owner_id == owner_id)
        async with self._reads() as session:
            return [value for value in (await session.scalars(query)).all() if value is not None]

    async def cost_rows(self, owner_id: str | None) -> Sequence[CostRow]:
        query = select(CostRow)
        if owner_id is not None:
            query = query.where(CostRow.owner_id == owner_id)
        async with self._reads() as session:
            return (await session.scalars(query)).all()

    async def ledger(
        self,
        owner_id: str | None,
        start: datetime,
        end: datetime,
        project_id: str | None = None,
    ) -> Sequence[CostRow]:
        """The cost rows of ``[start, end)`` (of ``owner_id`` and ``project_id`` when given)."""
        query = select(CostRow).where(CostRow.created_at >= start, CostRow.created_at < end)
        if owner_id is not None:
            query = query.where(CostRow.owner_id == owner_id)
        if project_id is not None:
            query = query.where(CostRow.project_id == project_id)
        async with self._reads() as session:
            return (await session.scalars(query.order_by(CostRow.created_at))).all()

    async def dump(self) -> dict[str, list[dict[str, Any]]]:
        """Every read-model row as plain values (for comparing two projections)."""
        out: dict[str, list[dict[str, Any]]] = {}
        async with self._sessions() as session:
            for table in READ_MODEL:
                rows = (await session.scalars(select(table))).all()
                columns = [column.key for column in table.__mapper__.columns]
                out[table.__tablename__] = sorted(
                    ({name: getattr(row, name) for name in columns} for row in rows), key=repr
                )
        return out


class StoredView(Protocol):
    """A story row, or the columns of one that hold its view."""

    @property
    def id(self) -> str: ...
    @property
    def version(self) -> int: ...
    @property
    def view(self) -> str: ...


class StoredViews:
    """The views of stored rows, parsed once per story version (a view is what the fold made
    of the story's facts up to its version, so the same version is always the same view)."""

    def __init__(self, size: int = 10_000) -> None:
        self._size = size
        self._views: OrderedDict[str, StoryView] = OrderedDict()

    def of(self, row: StoredView) -> StoryView:
        view = self._views.pop(row.id, None)
        if view is None or view.version != row.version:
            view = view_of(row)
        self.keep(row.id, view)
        return view

    def keep(self, story_id: str, view: StoryView) -> None:
        self._views[story_id] = view
        if len(self._views) > self._size:
            self._views.popitem(last=False)


def view_of(row: StoredView) -> StoryView:
    view = snapshot.load(row.view.encode())
    if view is None:
        raise ReadModelOutdated(
            f"story {row.id} was folded by another fold revision: rebuild the read model"
        )
    return view
