"""Records: when the retention job anonymised a ticket or a resident.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-27
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("tickets") as batch:
        batch.add_column(sa.Column("anonymised_at", storage.types.UTCDateTime(), nullable=True))
    with op.batch_alter_table("residents") as batch:
        batch.add_column(sa.Column("anonymised_at", storage.types.UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("residents") as batch:
        batch.drop_column("anonymised_at")
    with op.batch_alter_table("tickets") as batch:
        batch.drop_column("anonymised_at")
