"""The staff desk: a ticket's queue and assignee, and whether a staff member is on shift.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("staff") as batch:
        batch.add_column(sa.Column("on_shift", sa.Boolean(), nullable=False, server_default=sa.true()))
    with op.batch_alter_table("tickets") as batch:
        batch.add_column(sa.Column("queue", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("assignee_id", sa.Integer(), nullable=True))
        batch.create_index(batch.f("ix_tickets_queue"), ["queue"])
        batch.create_index(batch.f("ix_tickets_assignee_id"), ["assignee_id"])
        batch.create_foreign_key(batch.f("fk_tickets_assignee_id_staff"), "staff", ["assignee_id"], ["id"])


def downgrade() -> None:
    with op.batch_alter_table("tickets") as batch:
        batch.drop_constraint(batch.f("fk_tickets_assignee_id_staff"), type_="foreignkey")
        batch.drop_index(batch.f("ix_tickets_assignee_id"))
        batch.drop_index(batch.f("ix_tickets_queue"))
        batch.drop_column("assignee_id")
        batch.drop_column("queue")
    with op.batch_alter_table("staff") as batch:
        batch.drop_column("on_shift")
