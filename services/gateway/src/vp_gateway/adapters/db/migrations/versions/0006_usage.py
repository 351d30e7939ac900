"""costs by project, stage and outcome (usage views)

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03 07:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("costs") as batch_op:
        batch_op.add_column(sa.Column("project_id", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("stage", sa.String(length=20), nullable=True))
        batch_op.add_column(
            sa.Column("failed", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.create_index("ix_costs_created_at", ["created_at"])
        batch_op.create_index("ix_costs_project", ["project_id"])


def downgrade() -> None:
    with op.batch_alter_table("costs") as batch_op:
        batch_op.drop_index("ix_costs_project")
        batch_op.drop_index("ix_costs_created_at")
        batch_op.drop_column("failed")
        batch_op.drop_column("stage")
        batch_op.drop_column("project_id")
