"""which story a variant was made from

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 16:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("stories") as batch_op:
        batch_op.add_column(sa.Column("variant_of", sa.String(length=64), nullable=True))
        batch_op.create_index("ix_stories_variant_of", ["variant_of"])


def downgrade() -> None:
    with op.batch_alter_table("stories") as batch_op:
        batch_op.drop_index("ix_stories_variant_of")
        batch_op.drop_column("variant_of")
