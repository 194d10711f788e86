"""Message references: which delivered message shows a keyed outgoing message, to edit it in place."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, select

from storage.dialect import upsert_insert
from storage.tables import MessageRefRow, table_of

__all__ = ["SqlMessageRefRepository"]


class SqlMessageRefRepository:
    """Implements `dialogs.ports.MessageRefRepository` over one session."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def get(self, *, channel: str, chat_id: int, key: str) -> int | None:
        # populate_existing: `put` writes with a Core upsert, which the session's identity map does not see.
        statement = (
            select(MessageRefRow)
            .where(
                MessageRefRow.channel == channel, MessageRefRow.chat_id == chat_id, MessageRefRow.key == key
            )
            .execution_options(populate_existing=True)
        )
        row = self._session.exec(statement).one_or_none()
        return None if row is None else row.message_id

    def put(self, *, channel: str, chat_id: int, key: str, message_id: int, now: datetime) -> None:
        """Create or replace in one upsert: two senders may deliver under the same key at once."""
        insert = upsert_insert(self._session, table_of(MessageRefRow)).values(
            channel=channel, chat_id=chat_id, key=key, message_id=message_id, updated_at=now
        )
        statement = insert.on_conflict_do_update(
            index_elements=["channel", "chat_id", "key"],
            set_={"message_id": insert.excluded.message_id, "updated_at": insert.excluded.updated_at},
        )
        self._session.exec(statement)
