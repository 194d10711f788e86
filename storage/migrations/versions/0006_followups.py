"""Callback follow-ups (回访): the follow-ups table, at-most-once outbox rows, unreachable residents.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-27
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _utc(name: str, *, nullable: bool) -> sa.Column[object]:
    return sa.Column(name, storage.types.UTCDateTime(), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "followups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=16), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("resident_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        _utc("resolved_at", nullable=False),
        _utc("due_at", nullable=True),
        _utc("window_end", nullable=False),
        _utc("created_at", nullable=False),
        _utc("sent_at", nullable=True),
        _utc("reminded_at", nullable=True),
        _utc("answered_at", nullable=True),
        _utc("phone_at", nullable=True),
        sa.Column("phone_reason", sa.String(length=32), nullable=True),
        sa.Column("phone_result", sa.String(length=32), nullable=True),
        sa.Column("rating", sa.Integer(), nullable=True),
        sa.Column("solved", sa.Boolean(), nullable=True),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("late", sa.Boolean(), nullable=False),
        sa.Column("complaint_reference", sa.String(length=16), nullable=True),
        sa.ForeignKeyConstraint(["ticket_id"], ["tickets.id"], name=op.f("fk_followups_ticket_id_tickets")),
        sa.ForeignKeyConstraint(
            ["resident_id"], ["residents.id"], name=op.f("fk_followups_resident_id_residents")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_followups")),
        sa.UniqueConstraint("ticket_id", name=op.f("uq_followups_ticket_id")),
    )
    op.create_index("ix_followups_status_due_at", "followups", ["status", "due_at", "id"])
    op.create_index("ix_followups_channel_chat_id_status", "followups", ["channel", "chat_id", "status"])
    op.create_index("ix_followups_resolved_at", "followups", ["resolved_at"])
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("once_key", sa.String(length=64), nullable=True))
    with op.batch_alter_table("residents") as batch:
        batch.add_column(_utc("unreachable_since", nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("residents") as batch:
        batch.drop_column("unreachable_since")
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("once_key")
    op.drop_index("ix_followups_resolved_at", table_name="followups")
    op.drop_index("ix_followups_channel_chat_id_status", table_name="followups")
    op.drop_index("ix_followups_status_due_at", table_name="followups")
    op.drop_table("followups")
