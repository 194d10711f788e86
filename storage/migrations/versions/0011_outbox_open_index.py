"""Outbox: partial indexes over the open rows (in id order, and by chat), so a claim stops at its limit.

Without it a claim gathered every due row of a backlog, checked each for an older held-back row of its
chat and sorted them all, to keep a hundred: 16 ms on SQLite (holding the write lock) and 28 ms on
PostgreSQL with 17,000 rows waiting, growing with the backlog.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-27
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_OPEN = "status IN ('pending', 'sending')"


def upgrade() -> None:
    where = sa.text(_OPEN)
    op.create_index("ix_outbox_open", "outbox", ["channel", "id"], sqlite_where=where, postgresql_where=where)
    op.create_index(
        "ix_outbox_open_chat",
        "outbox",
        ["channel", "chat_id", "id"],
        sqlite_where=where,
        postgresql_where=where,
    )


def downgrade() -> None:
    op.drop_index("ix_outbox_open_chat", table_name="outbox")
    op.drop_index("ix_outbox_open", table_name="outbox")
