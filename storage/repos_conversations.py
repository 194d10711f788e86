"""The conversation repository: one versioned JSON state per (channel, chat)."""

from __future__ import annotations

from sqlmodel import Session, select

from dialogs.domain import Conversation
from storage.codec import conversation_from_state, conversation_to_state
from storage.dialect import upsert_insert
from storage.tables import ConversationRow, table_of

__all__ = ["SqlConversationRepository"]


class SqlConversationRepository:
    """Conversation state, so a conversation survives restarts and moves between workers."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def load(self, *, channel: str, chat_id: int) -> Conversation | None:
        # populate_existing: `save` writes with a Core upsert, which the session's identity map does not see.
        statement = (
            select(ConversationRow)
            .where(ConversationRow.channel == channel, ConversationRow.chat_id == chat_id)
            .execution_options(populate_existing=True)
        )
        row = self._session.exec(statement).one_or_none()
        if row is None:
            return None
        return conversation_from_state(
            channel=row.channel, chat_id=row.chat_id, state=row.state, updated_at=row.updated_at
        )

    def save(self, *, conversation: Conversation) -> None:
        """Create or replace the chat's state in one upsert (two workers may meet a new chat at once)."""
        table = table_of(ConversationRow)
        state = conversation_to_state(conversation)
        insert = upsert_insert(self._session, table).values(
            channel=conversation.channel,
            chat_id=conversation.chat_id,
            state=state,
            updated_at=conversation.updated_at,
        )
        statement = insert.on_conflict_do_update(
            index_elements=["channel", "chat_id"],
            set_={"state": insert.excluded.state, "updated_at": insert.excluded.updated_at},
        )
        self._session.exec(statement)
