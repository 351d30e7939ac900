"""idempotency keys, parked facts, history keyed by sequence, stale stories

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01 18:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

HISTORY_COLUMNS = "sequence, id, story_id, type, at, actor, from_status, to_status"


def _history_table(name: str) -> None:
    op.create_table(
        name,
        sa.Column("sequence", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("id", sa.String(length=80), nullable=False),
        sa.Column("story_id", sa.String(length=64), nullable=False),
        sa.Column("type", sa.String(length=80), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=80), nullable=True),
        sa.Column("from_status", sa.String(length=20), nullable=True),
        sa.Column("to_status", sa.String(length=20), nullable=True),
        sa.PrimaryKeyConstraint("sequence"),
    )


def upgrade() -> None:
    # History was keyed by event id, so two facts under one id froze the projector; the stream
    # sequence is unique by construction. Rows are copied (one per sequence).
    _history_table("story_history_new")
    op.execute(
        f"INSERT INTO story_history_new ({HISTORY_COLUMNS}) "
        f"SELECT {HISTORY_COLUMNS} FROM story_history"
    )
    op.drop_index("ix_history_story_sequence", table_name="story_history")
    op.drop_table("story_history")
    op.rename_table("story_history_new", "story_history")
    op.create_index("ix_history_story_sequence", "story_history", ["story_id", "sequence"])
    op.create_index("ix_story_history_id", "story_history", ["id"])

    with op.batch_alter_table("stories") as batch_op:
        batch_op.add_column(
            sa.Column("stale", sa.Boolean(), server_default=sa.false(), nullable=False)
        )

    op.create_table(
        "parked_facts",
        sa.Column("sequence", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("story_id", sa.String(length=64), nullable=False),
        sa.Column("event_id", sa.String(length=80), nullable=False),
        sa.Column("type", sa.String(length=80), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("blocked_by", sa.BigInteger(), nullable=True),
        sa.Column("parked_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("sequence"),
    )
    op.create_index("ix_parked_facts_story_id", "parked_facts", ["story_id"])

    op.create_table(
        "idempotency_keys",
        sa.Column("user_id", sa.String(length=64), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("method", sa.String(length=8), nullable=False),
        sa.Column("path", sa.String(length=500), nullable=False),
        sa.Column("command_id", sa.String(length=64), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("content_type", sa.String(length=100), nullable=True),
        sa.Column("body", sa.LargeBinary(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("touched_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("user_id", "key"),
    )
    op.create_index("ix_idempotency_created", "idempotency_keys", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_idempotency_created", table_name="idempotency_keys")
    op.drop_table("idempotency_keys")
    op.drop_index("ix_parked_facts_story_id", table_name="parked_facts")
    op.drop_table("parked_facts")
    with op.batch_alter_table("stories") as batch_op:
        batch_op.drop_column("stale")
    op.drop_index("ix_story_history_id", table_name="story_history")
    op.drop_index("ix_history_story_sequence", table_name="story_history")
    op.rename_table("story_history", "story_history_new")
    op.create_table(
        "story_history",
        sa.Column("id", sa.String(length=80), nullable=False),
        sa.Column("story_id", sa.String(length=64), nullable=False),
        sa.Column("sequence", sa.BigInteger(), nullable=False),
        sa.Column("type", sa.String(length=80), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=80), nullable=True),
        sa.Column("from_status", sa.String(length=20), nullable=True),
        sa.Column("to_status", sa.String(length=20), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    # One row per event id survives the way back (the old key).
    op.execute(
        f"INSERT INTO story_history ({HISTORY_COLUMNS}) SELECT {HISTORY_COLUMNS} "
        "FROM story_history_new WHERE sequence IN "
        "(SELECT MIN(sequence) FROM story_history_new GROUP BY id)"
    )
    op.drop_table("story_history_new")
    op.create_index("ix_history_story_sequence", "story_history", ["story_id", "sequence"])
