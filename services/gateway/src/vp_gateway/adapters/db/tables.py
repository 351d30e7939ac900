"""The gateway's tables: users and their assets (owned here) and the read model projected from
the log.

The read model is disposable: every row except ``users`` and ``assets`` can be rebuilt from the
Story log.
Money is stored in micro-dollars (integers) so SQLite and PostgreSQL agree exactly.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Dialect,
    Float,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
)
from sqlalchemy import false as sa_false
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

Json = JSON().with_variant(JSONB(), "postgresql")


class UtcDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes on every database (SQLite would hand back naive ones)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: Json, datetime: UtcDateTime()}


class UserRow(Base):
    __tablename__ = "users"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16), default="user")
    created_at: Mapped[datetime]


class ApiKeyRow(Base):
    """A machine API key: only the SHA-256 of its secret is kept."""

    __tablename__ = "api_keys"
    __table_args__ = (Index("ix_api_keys_user", "user_id"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(36))
    name: Mapped[str] = mapped_column(String(100))
    scopes: Mapped[str] = mapped_column(String(40))
    """Space-separated: read, write, admin."""
    secret_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]


class RefreshTokenRow(Base):
    """A browser session's refresh token (SHA-256 of its secret); each is used once, and a
    second use revokes its whole family (a stolen copy was used)."""

    __tablename__ = "refresh_tokens"
    __table_args__ = (Index("ix_refresh_tokens_family", "family_id"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    family_id: Mapped[str] = mapped_column(String(36))
    user_id: Mapped[str] = mapped_column(String(36))
    secret_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]


class AssetRow(Base):
    """A creator's uploaded file (its bytes are in object storage under ``assets/``)."""

    __tablename__ = "assets"
    __table_args__ = (Index("ix_assets_owner_created", "owner_id", "created_at"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    owner_id: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))
    size_bytes: Mapped[int | None] = mapped_column(BigInteger)
    width: Mapped[int | None] = mapped_column(Integer)
    height: Mapped[int | None] = mapped_column(Integer)
    duration_seconds: Mapped[float | None] = mapped_column(Float)
    created_at: Mapped[datetime]


class StoryRow(Base):
    """One story: filter and sort columns, plus the folded view it is rendered from."""

    __tablename__ = "stories"
    __table_args__ = (
        Index("ix_stories_owner_created", "owner_id", "created_at", "id"),
        Index("ix_stories_status", "status"),
    )

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    owner_id: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    version: Mapped[int] = mapped_column(BigInteger)
    view: Mapped[str] = mapped_column(Text)
    """The story folded by the reference fold (snapshot format)."""
    rating: Mapped[int | None] = mapped_column(Integer)
    """The creator's latest rating of the finished video (1-5), if any."""
    variant_of: Mapped[str | None] = mapped_column(String(64), index=True)
    """The story this one is a variant of."""
    stale: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sa_false())
    """A fact of this story could not be projected (see ``parked_facts``): the row shows the
    story as it was before that fact until the parked facts are replayed."""


class SceneRow(Base):
    __tablename__ = "scenes"
    __table_args__ = (Index("ix_scenes_story_position", "story_id", "position"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    story_id: Mapped[str] = mapped_column(String(64))
    owner_id: Mapped[str] = mapped_column(String(64), index=True)
    position: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20))
    data: Mapped[dict[str, Any]]
    """The scene resource as the API shows it."""


class JobRow(Base):
    __tablename__ = "jobs"
    __table_args__ = (
        Index("ix_jobs_owner_created", "owner_id", "created_at", "id"),
        Index("ix_jobs_story", "story_id"),
        Index("ix_jobs_attempt", "attempt_id"),
    )

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    story_id: Mapped[str] = mapped_column(String(64))
    owner_id: Mapped[str] = mapped_column(String(64))
    attempt_id: Mapped[str] = mapped_column(String(64))
    scene_id: Mapped[str | None] = mapped_column(String(64))
    type: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    error: Mapped[str | None] = mapped_column(Text)
    provider: Mapped[str | None] = mapped_column(String(40))
    cost_micros: Mapped[int] = mapped_column(BigInteger, default=0)
    cache_hit: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime]
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]


class CostRow(Base):
    __tablename__ = "costs"
    __table_args__ = (
        Index("ix_costs_owner", "owner_id"),
        Index("ix_costs_story", "story_id"),
        Index("ix_costs_created_at", "created_at"),
        Index("ix_costs_project", "project_id"),
    )

    id: Mapped[str] = mapped_column(String(80), primary_key=True)
    story_id: Mapped[str] = mapped_column(String(64))
    owner_id: Mapped[str] = mapped_column(String(64))
    job_id: Mapped[str] = mapped_column(String(64))
    attempt_id: Mapped[str] = mapped_column(String(64))
    scene_id: Mapped[str | None] = mapped_column(String(64))
    provider: Mapped[str] = mapped_column(String(40))
    operation: Mapped[str] = mapped_column(String(20))
    units: Mapped[float] = mapped_column(Float)
    amount_micros: Mapped[int] = mapped_column(BigInteger)
    cache_hit: Mapped[bool] = mapped_column(Boolean)
    provider_job_id: Mapped[str | None] = mapped_column(String(120))
    created_at: Mapped[datetime]
    project_id: Mapped[str | None] = mapped_column(String(64))
    stage: Mapped[str | None] = mapped_column(String(20))
    """planning, preview, final or scene (a scene's regeneration): what the call was for."""
    failed: Mapped[bool] = mapped_column(Boolean, default=False)


class HistoryRow(Base):
    """Every fact of a story with the status before and after it.

    Keyed by the stream sequence, which is unique by construction: applying a fact again can
    never fail on a key.
    """

    __tablename__ = "story_history"
    __table_args__ = (Index("ix_history_story_sequence", "story_id", "sequence"),)

    sequence: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    id: Mapped[str] = mapped_column(String(80), index=True)
    """The fact's event id."""
    story_id: Mapped[str] = mapped_column(String(64))
    type: Mapped[str] = mapped_column(String(80))
    at: Mapped[datetime]
    actor: Mapped[str | None] = mapped_column(String(80))
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str | None] = mapped_column(String(20))


class ParkedRow(Base):
    """A fact the projector could not apply, kept with its error so the rest keep flowing.

    Later facts of the same story are parked behind it (``blocked_by``) so the story is never
    folded with a hole in it; replaying the story re-projects it from its log.
    """

    __tablename__ = "parked_facts"

    sequence: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    story_id: Mapped[str] = mapped_column(String(64), index=True)
    event_id: Mapped[str] = mapped_column(String(80))
    type: Mapped[str] = mapped_column(String(80))
    error: Mapped[str] = mapped_column(Text)
    blocked_by: Mapped[int | None] = mapped_column(BigInteger)
    """Sequence of the story's first parked fact, when this one only waits behind it."""
    parked_at: Mapped[datetime]


class IdempotencyRow(Base):
    """An Idempotency-Key a user sent: the request it is bound to, and the first answer."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (Index("ix_idempotency_created", "created_at"),)

    user_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    method: Mapped[str] = mapped_column(String(8))
    path: Mapped[str] = mapped_column(String(500))
    command_id: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int | None] = mapped_column(Integer)
    """None while the first request runs."""
    content_type: Mapped[str | None] = mapped_column(String(100))
    body: Mapped[bytes | None] = mapped_column(LargeBinary)
    created_at: Mapped[datetime]
    touched_at: Mapped[datetime]
    """When the running request last claimed the key (a takeover waits for the lease)."""


class ProjectionRow(Base):
    """The last stream sequence applied to the read model, written in the same transaction."""

    __tablename__ = "projection"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    position: Mapped[int] = mapped_column(BigInteger)
    fold_revision: Mapped[str] = mapped_column(String(32))
    """Revision of the fold that wrote the stored views; another one means rebuild."""


READ_MODEL = (StoryRow, SceneRow, JobRow, CostRow, HistoryRow, ParkedRow, ProjectionRow)
"""Tables a rebuild empties and refills from the log."""
