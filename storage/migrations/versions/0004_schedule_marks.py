"""Schedule marks: the last claimed occurrence of each recurring job (daily digest).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "schedule_marks",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("last_at", storage.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_schedule_marks")),
    )


def downgrade() -> None:
    op.drop_table("schedule_marks")
