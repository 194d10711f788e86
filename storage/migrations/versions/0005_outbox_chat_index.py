"""An index for the outbox's per-chat order check (older unsent rows of the same chat).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_outbox_channel_chat_id_status", "outbox", ["channel", "chat_id", "status"])


def downgrade() -> None:
    op.drop_index("ix_outbox_channel_chat_id_status", table_name="outbox")
