"""The projector's side of the read model: every fact applied in one transaction with its
stream sequence (a redelivered fact is skipped, a rebuild is a replay), facts that keep
failing parked, the position a reader waits for."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, cast

import psycopg
from psycopg.types.json import Jsonb
from sqlalchemy import Table, delete, func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession, async_sessionmaker
from vp_contracts.envelope import RecordedEvent
from vp_contracts.events import story as e
from vp_contracts.events.base import Event
from vp_contracts.story import snapshot
from vp_contracts.story.view import INITIAL, StoryView, evolve
from vp_contracts.values import JobStatus

from vp_gateway.adapters.db.engine import reading
from vp_gateway.adapters.db.readmodel.queries import ReadModelOutdated, StoredViews, scene_data
from vp_gateway.adapters.db.reads import Reads, SessionReads
from vp_gateway.adapters.db.tables import (
    READ_MODEL,
    CostRow,
    HistoryRow,
    JobRow,
    ParkedRow,
    ProjectionRow,
    SceneRow,
    StoryRow,
)
from vp_gateway.domain.jobs import TERMINAL, JobChange, JobEffects, job_effects
from vp_gateway.service.projection import Applied, NotYet, ReadModelUnavailable

PROJECTION = "stories"
MICROS = Decimal(1_000_000)
_TERMINAL = tuple(status.value for status in TERMINAL)


class Projection:
    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], driver: Reads | None = None
    ) -> None:
        self._sessions = sessions
        self._reads = reading(sessions)
        self._driver = driver or SessionReads(sessions)
        self._views = StoredViews()
        # The highest position this process has seen stored: the stored position only grows
        # (a rebuild commits the whole log at once), so a reader waiting for a sequence at or
        # below it needs no query.
        self._reached = 0

    async def position(self) -> int:
        async with self._reads() as session:
            row = await session.get(ProjectionRow, PROJECTION)
            position = row.position if row else 0
        self._reached = max(self._reached, position)
        return position

    async def check_revision(self) -> bool:
        """Whether stored views were folded by this code (True for an empty read model)."""
        async with self._sessions() as session:
            row = await session.get(ProjectionRow, PROJECTION)
            return row is None or row.fold_revision == snapshot.FOLD_REVISION

    async def apply(self, recorded: RecordedEvent[Event]) -> Applied:
        """Apply one fact unless it was applied already.

        A fact of a story that has a parked fact is parked behind it, never applied over the
        hole. A database that cannot be reached raises :class:`ReadModelUnavailable`.
        """
        try:
            return await self._apply_once(recorded)
        except (OperationalError, InterfaceError) as error:
            raise ReadModelUnavailable(describe(error)) from error

    async def _apply_once(self, recorded: RecordedEvent[Event]) -> Applied:
        async with self._sessions.begin() as session:
            position = await self._lock_position(session)
            if recorded.sequence <= position.position:
                return "already"
            blocker = await _first_parked(session, recorded.event.story_id)
            if blocker is None:
                await self._apply(session, recorded)
            else:
                _park(session, recorded, f"waits behind parked fact #{blocker}", blocker)
            position.position = recorded.sequence
            return "applied" if blocker is None else "parked"

    async def apply_batch(
        self, facts: Sequence[RecordedEvent[Event]], first: int, last: int
    ) -> list[Applied]:
        """Apply the facts of log positions ``first``..``last`` (in order) in one transaction,
        with ``last`` as the new position: each story's row is read once and written once with
        its newest view, however many of its facts the batch holds. All or nothing; what each
        fact became, in order. Raises :class:`NotYet` while facts before ``first`` are still
        being applied (by another replica), so no batch ever overtakes another."""
        try:
            async with self._sessions.begin() as session:
                results = await self._apply_batch(session, facts, first, last)
        except (OperationalError, InterfaceError) as error:
            raise ReadModelUnavailable(describe(error)) from error
        self._reached = max(self._reached, last)
        return results

    async def _apply_batch(
        self, session: AsyncSession, facts: Sequence[RecordedEvent[Event]], first: int, last: int
    ) -> list[Applied]:
        position = await self._lock_position(session)
        if first > position.position + 1:
            raise NotYet(f"facts #{position.position + 1}-#{first - 1} are not applied yet")
        fresh = [f for f in facts if f.sequence > position.position]
        results: dict[int, Applied] = {f.sequence: "already" for f in facts}
        if last <= position.position:
            return [results[f.sequence] for f in facts]
        story_ids = {f.event.story_id for f in fresh}
        blockers = await _first_parked_of(session, story_ids)
        rows = {
            row.id: row
            for row in await session.scalars(select(StoryRow).where(StoryRow.id.in_(story_ids)))
        }
        before: dict[str, StoryView] = {}
        newest: dict[str, StoryView] = {}
        jobs = await _jobs_of(session, story_ids)
        rows_out = _Inserts()
        for recorded in fresh:
            story_id = recorded.event.story_id
            if story_id in blockers:
                _park(
                    session,
                    recorded,
                    f"waits behind parked fact #{blockers[story_id]}",
                    blockers[story_id],
                )
                results[recorded.sequence] = "parked"
                continue
            if story_id not in newest:
                row = rows.get(story_id)
                newest[story_id] = before[story_id] = self._views.of(row) if row else INITIAL
            old = newest[story_id]
            new = evolve(old, recorded)
            results[recorded.sequence] = "applied"
            if not new.exists:
                continue
            newest[story_id] = new
            rows_out.add(recorded, old, new, jobs[story_id])
        for story_id, new in newest.items():
            if new.exists:
                await self._write_story(
                    session, rows.get(story_id), before[story_id], new, rows_out
                )
        await rows_out.insert(session)
        position.position = last
        return [results[f.sequence] for f in facts]

    async def park(self, recorded: RecordedEvent[Event], error: str) -> bool:
        """Set aside a fact that cannot be applied (with why), so every other story flows on;
        its story is marked stale until it is replayed. Whether it was parked now."""
        async with self._sessions.begin() as session:
            position = await self._lock_position(session)
            if recorded.sequence <= position.position:
                return False
            story_id = recorded.event.story_id
            _park(session, recorded, error, await _first_parked(session, story_id))
            await session.execute(
                update(StoryRow).where(StoryRow.id == story_id).values(stale=True)
            )
            position.position = recorded.sequence
            return True

    async def parked(self, story_id: str | None = None) -> Sequence[ParkedRow]:
        query = select(ParkedRow).order_by(ParkedRow.sequence)
        if story_id is not None:
            query = query.where(ParkedRow.story_id == story_id)
        async with self._sessions() as session:
            return (await session.scalars(query.limit(1000))).all()

    async def parked_stories(self) -> Sequence[str]:
        async with self._sessions() as session:
            return (await session.scalars(select(ParkedRow.story_id).distinct())).all()

    async def parked_count(self) -> int:
        async with self._sessions() as session:
            return int(await session.scalar(select(func.count()).select_from(ParkedRow)) or 0)

    async def reproject(self, story_id: str, facts: Sequence[RecordedEvent[Event]]) -> int:
        """Project one story again from its facts (its whole log, in order), in one
        transaction: its rows are replaced and its parked facts cleared. Facts beyond the
        projector's position are left to the projector. How many facts were applied."""
        async with self._sessions.begin() as session:
            position = await self._lock_position(session)
            await session.execute(delete(StoryRow).where(StoryRow.id == story_id))
            for table in (SceneRow, JobRow, CostRow, HistoryRow, ParkedRow):
                await session.execute(delete(table).where(table.story_id == story_id))
            applied = 0
            for recorded in facts:
                if recorded.sequence > position.position:
                    break
                await self._apply(session, recorded)
                applied += 1
            return applied

    async def wait_for(self, sequence: int, timeout: float) -> bool:  # noqa: ASYNC109
        """Wait until facts up to ``sequence`` are applied; False if ``timeout`` ran out."""
        if self._reached >= sequence:
            return True
        deadline = asyncio.get_running_loop().time() + timeout
        delay = 0.005
        while await self.position() < sequence:
            if asyncio.get_running_loop().time() >= deadline:
                return False
            await asyncio.sleep(delay)
            delay = min(delay * 2, 0.1)
        return True

    async def rebuild(self, facts: AsyncIterable[RecordedEvent[Event]]) -> int:
        """Empty the read model and apply ``facts`` (the whole log, in order) in one
        transaction; a fact that cannot be applied is parked as the projector would."""
        count = 0
        async with self._sessions.begin() as session:
            position = await self._lock_position(session, rebuilding=True)
            for table in READ_MODEL:
                if table is not ProjectionRow:
                    await session.execute(delete(table))
            position.position = 0
            position.fold_revision = snapshot.FOLD_REVISION
            stale: dict[str, int] = {}
            async for recorded in facts:
                story_id = recorded.event.story_id
                if story_id in stale:
                    _park(session, recorded, "waits behind a parked fact", stale[story_id])
                else:
                    try:
                        async with session.begin_nested():
                            await self._apply(session, recorded)
                    except (DBAPIError, ValueError, TypeError, KeyError) as error:
                        stale[story_id] = recorded.sequence
                        _park(session, recorded, describe(error), None)
                position.position = recorded.sequence
                count += 1
                if count % 500 == 0:
                    await session.flush()
            if stale:
                await session.execute(
                    update(StoryRow).where(StoryRow.id.in_(stale)).values(stale=True)
                )
        return count

    async def _lock_position(
        self, session: AsyncSession, rebuilding: bool = False
    ) -> ProjectionRow:
        row = await session.get(ProjectionRow, PROJECTION, with_for_update=True)
        if row is None:
            row = ProjectionRow(name=PROJECTION, position=0, fold_revision=snapshot.FOLD_REVISION)
            session.add(row)
            await session.flush()
        elif row.fold_revision != snapshot.FOLD_REVISION and not rebuilding:
            raise ReadModelOutdated(
                "the read model was written by another fold revision: rebuild it"
            )
        return row

    async def _apply(self, session: AsyncSession, recorded: RecordedEvent[Event]) -> None:
        story_id = recorded.event.story_id
        row = await session.get(StoryRow, story_id)
        old = self._views.of(row) if row else INITIAL
        new = evolve(old, recorded)
        if not new.exists:
            return  # a fact about a story that was never created: nothing to show
        rows_out = _Inserts()
        rows_out.add(recorded, old, new, (await _jobs_of(session, {story_id}))[story_id])
        await self._write_story(session, row, old, new, rows_out)
        await rows_out.insert(session)

    async def _write_story(
        self,
        session: AsyncSession,
        row: StoryRow | None,
        old: StoryView,
        new: StoryView,
        rows_out: _Inserts,
    ) -> None:
        assert new.owner_id and new.status and new.spec and new.created_at and new.updated_at
        values = {
            "owner_id": new.owner_id,
            "status": new.status.value,
            "title": new.spec.title,
            "created_at": new.created_at,
            "updated_at": new.updated_at,
            "version": new.version,
            "view": snapshot.dump(new).decode(),
            "rating": new.feedback.rating if new.feedback else None,
            "variant_of": new.variant_of,
        }
        if row is None:
            rows_out.stories.append({"id": new.story_id, "stale": False, **values})
        else:
            for name, value in values.items():
                setattr(row, name, value)
        if old.scenes != new.scenes:
            rows_out.replaced_scenes.add(new.story_id)
            rows_out.scenes += [
                {
                    "id": scene.scene_id,
                    "story_id": new.story_id,
                    "owner_id": new.owner_id,
                    "position": scene.spec.position,
                    "status": scene.status.value,
                    "data": scene_data(new.story_id, scene),
                }
                for scene in new.scenes
            ]


@dataclass
class _Inserts:
    """New rows of one transaction's facts, inserted at its end with one statement per table
    (rows that already exist are changed in the session and flushed with it)."""

    stories: list[dict[str, Any]] = field(default_factory=list)
    history: list[dict[str, Any]] = field(default_factory=list)
    jobs: list[JobRow] = field(default_factory=list)
    """New job rows, kept as objects: later facts of the same batch change them."""
    scenes: list[dict[str, Any]] = field(default_factory=list)
    replaced_scenes: set[str] = field(default_factory=set)
    """Stories whose scene rows are replaced by ``scenes``."""
    costs: list[dict[str, Any]] = field(default_factory=list)

    def add(
        self,
        recorded: RecordedEvent[Event],
        old: StoryView,
        new: StoryView,
        jobs: dict[str, JobRow],
    ) -> None:
        """The history row, job changes and cost row of one fact (``jobs``: every job row of
        its story, loaded once per transaction)."""
        self.history.append(
            {
                "sequence": recorded.sequence,
                "id": recorded.envelope.id,
                "story_id": recorded.event.story_id,
                "type": recorded.envelope.type,
                "at": recorded.time,
                "actor": recorded.envelope.actor,
                "from_status": old.status.value if old.status else None,
                "to_status": new.status.value if new.status else None,
            }
        )
        self._write_jobs(new, job_effects(old, new, recorded), jobs)
        if (cost := _cost_row(new, recorded)) is not None:
            self.costs.append(cost)

    async def insert(self, session: AsyncSession) -> None:
        if self.replaced_scenes:
            await session.execute(
                delete(SceneRow).where(SceneRow.story_id.in_(self.replaced_scenes))
            )
        connection = await session.connection()
        for table, rows in (
            (StoryRow.__table__, self.stories),
            (HistoryRow.__table__, self.history),
            (JobRow.__table__, [_columns(row) for row in self.jobs]),
            (SceneRow.__table__, self.scenes),
        ):
            if rows:
                await _insert_many(connection, cast(Table, table), rows)
        if self.costs:
            await connection.execute(insert_ignoring_duplicates(session, CostRow), self.costs)

    def _write_jobs(self, view: StoryView, effects: JobEffects, jobs: dict[str, JobRow]) -> None:
        assert view.owner_id is not None
        for job in effects.created:
            if job.id not in jobs:
                jobs[job.id] = row = JobRow(
                    id=job.id,
                    story_id=view.story_id,
                    owner_id=view.owner_id,
                    attempt_id=job.attempt_id,
                    scene_id=job.scene_id,
                    type=job.type,
                    status=JobStatus.QUEUED.value,
                    attempts=0,
                    progress=0.0,
                    cost_micros=0,
                    cache_hit=False,
                    created_at=job.created_at,
                )
                self.jobs.append(row)
        for change in effects.changes:
            _change_job(jobs.get(change.job_id), change)
        for cancel in effects.cancelled:
            for row in jobs.values():
                if row.attempt_id == cancel.attempt_id and row.status not in _TERMINAL:
                    row.status = JobStatus.CANCELLED.value
                    row.finished_at = cancel.at
        for cost in effects.costs:
            micros = int(cost.amount * MICROS)
            for job_id in cost.job_ids:
                if (charged := jobs.get(job_id)) is not None:
                    charged.cost_micros += micros
                    charged.provider = charged.provider or cost.provider


def _change_job(row: JobRow | None, change: JobChange) -> None:
    if row is None or row.status in _TERMINAL:
        return
    if change.only_if_queued and row.status != JobStatus.QUEUED.value:
        return
    for name, value in change.fields.items():
        if name == "started_at" and row.started_at is not None:
            continue  # keep the first start: queue wait is measured to it
        setattr(row, name, value)


async def _jobs_of(session: AsyncSession, story_ids: set[str]) -> dict[str, dict[str, JobRow]]:
    """Every job row of these stories, by story and job id."""
    found: dict[str, dict[str, JobRow]] = {story_id: {} for story_id in story_ids}
    for row in await session.scalars(select(JobRow).where(JobRow.story_id.in_(story_ids))):
        found[row.story_id][row.id] = row
    return found


def _cost_row(view: StoryView, recorded: RecordedEvent[Event]) -> dict[str, Any] | None:
    """The cost row of a cost fact, keyed by its event id (a fact stored twice counts once)."""
    event = recorded.event
    if not isinstance(event, e.CostRecorded) or view.owner_id is None:
        return None
    return {
        "id": recorded.envelope.id,
        "story_id": event.story_id,
        "owner_id": view.owner_id,
        "job_id": event.job_id,
        "attempt_id": event.attempt_id,
        "scene_id": event.scene_id,
        "provider": event.provider,
        "operation": event.operation,
        "units": event.units,
        "amount_micros": int(event.amount * MICROS),
        "cache_hit": event.cache_hit,
        "provider_job_id": event.provider_job_id,
        "created_at": recorded.time,
        "project_id": view.spec.project_id if view.spec else None,
        "stage": _stage_of(view, event),
        "failed": event.outcome.startswith("error"),
    }


def _stage_of(view: StoryView, event: e.CostRecorded) -> str:
    """What a call was for: the attempt's stage while it runs, a scene's own job, planning."""
    if event.operation == "plan":
        return "planning"
    if event.scene_id is not None and event.job_id == event.attempt_id:
        return "scene"
    if view.attempt is not None and view.attempt.id == event.attempt_id:
        return {"planning": "planning", "preview": "preview", "render": "final"}.get(
            view.attempt.stage.value, view.attempt.stage.value
        )
    return "other"


async def _insert_many(
    connection: AsyncConnection, table: Table, rows: list[dict[str, Any]]
) -> None:
    """Insert ``rows`` in the connection's transaction: COPY on PostgreSQL (3x faster than an
    executemany, 10x faster than SQLAlchemy's ORM bulk path), an executemany elsewhere."""
    if connection.dialect.name != "postgresql":
        await connection.execute(insert(table), rows)
        return
    columns = [column.name for column in table.columns]
    raw = (await connection.get_raw_connection()).driver_connection
    assert raw is not None
    names = ", ".join(f'"{name}"' for name in columns)
    statement = f'COPY "{table.name}" ({names}) FROM STDIN'
    try:
        async with raw.cursor() as cursor, cursor.copy(statement) as copy:
            for row in rows:
                await copy.write_row([_copied(row.get(name)) for name in columns])
    except psycopg.Error as error:  # as SQLAlchemy reports it (OperationalError, ...)
        raise DBAPIError.instance(statement, None, error, psycopg.Error) from error


def _copied(value: Any) -> Any:
    return Jsonb(value) if isinstance(value, dict | list) else value


def _columns(row: JobRow) -> dict[str, Any]:
    return {column.key: getattr(row, column.key) for column in JobRow.__table__.columns}


def insert_ignoring_duplicates(session: AsyncSession, table: Any) -> Any:
    """``INSERT ... ON CONFLICT DO NOTHING`` in the session's dialect (rows given on execute)."""
    dialect = session.get_bind().dialect.name
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    return insert(table).on_conflict_do_nothing()


async def _first_parked(session: AsyncSession, story_id: str) -> int | None:
    found = await session.scalar(
        select(func.min(ParkedRow.sequence)).where(ParkedRow.story_id == story_id)
    )
    return int(found) if found is not None else None


async def _first_parked_of(session: AsyncSession, story_ids: set[str]) -> dict[str, int]:
    """The first parked fact of each of these stories that has one."""
    found = await session.execute(
        select(ParkedRow.story_id, func.min(ParkedRow.sequence))
        .where(ParkedRow.story_id.in_(story_ids))
        .group_by(ParkedRow.story_id)
    )
    return {story_id: int(sequence) for story_id, sequence in found.all()}


def _park(
    session: AsyncSession, recorded: RecordedEvent[Event], error: str, blocked_by: int | None
) -> None:
    session.add(
        ParkedRow(
            sequence=recorded.sequence,
            story_id=recorded.event.story_id,
            event_id=recorded.envelope.id,
            type=recorded.envelope.type,
            error=error[:4000],
            blocked_by=blocked_by,
            parked_at=datetime.now(UTC),
        )
    )


def describe(error: BaseException) -> str:
    """An error as an operator reads it in the parked list (the database's own words)."""
    if isinstance(error, DBAPIError) and error.orig is not None:
        error = error.orig
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0] if text else ''}"[:4000]
