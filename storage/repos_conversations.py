"""The conversation repository: one versioned JSON state per (channel, chat)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import bindparam
from sqlmodel import Session

from dialogs.domain import Conversation
from storage.codec import conversation_from_state, conversation_to_state
from storage.dialect import ManyRows, rows_for_keys
from storage.prepared import Prepared
from storage.tables import ConversationRow, table_of

__all__ = ["SqlConversationRepository"]


_TABLE = table_of(ConversationRow)
# Prepared once: every incoming message loads and saves its chat's state (see `storage.dialect`).
_LOAD = Prepared(
    _TABLE.select().where(_TABLE.c.channel == bindparam("channel"), _TABLE.c.chat_id == bindparam("chat_id"))
)
# A batch's chats, read together (`storage.dialect.rows_for_keys`).
_LOAD_MANY = Prepared(
    rows_for_keys(
        _TABLE.select().where(_TABLE.c.channel == bindparam("channel")), _TABLE.c.chat_id, "chat_ids"
    )
)


def _conversation(row: Any) -> Conversation:
    return conversation_from_state(
        channel=row.channel, chat_id=row.chat_id, state=row.state, updated_at=row.updated_at
    )


def _on_conflict_update(statement: Any) -> Any:
    """A chat's state replaces the one stored."""
    return statement.on_conflict_do_update(
        index_elements=["channel", "chat_id"],
        set_={"state": statement.excluded.state, "updated_at": statement.excluded.updated_at},
    )


# Chat states, a batch's together (one state per chat: a statement cannot update a row twice).
_SAVE = ManyRows(_TABLE, ("channel", "chat_id", "state", "updated_at"), _on_conflict_update)


class SqlConversationRepository:
    """Conversation state, so a conversation survives restarts and moves between workers."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def load(self, *, channel: str, chat_id: int) -> Conversation | None:
        params = {"channel": channel, "chat_id": chat_id}
        row = _LOAD.one_or_none(self._session.connection(), params)
        return None if row is None else _conversation(row)

    def load_many(self, *, channel: str, chat_ids: Sequence[int]) -> dict[int, Conversation]:
        return self.load_many_later(channel=channel, chat_ids=chat_ids)()

    def load_many_later(
        self, *, channel: str, chat_ids: Sequence[int]
    ) -> Callable[[], dict[int, Conversation]]:
        if not chat_ids:
            return lambda: {}
        params = {"channel": channel, "chat_ids": list(chat_ids)}
        pending = _LOAD_MANY.send(self._session.connection(), params)
        return lambda: {row.chat_id: _conversation(row) for row in pending.rows()}

    def save(self, *, conversation: Conversation) -> None:
        """Create or replace the chat's state in one upsert (two workers may meet a new chat at once)."""
        self.save_many(conversations=[conversation])

    def save_many(self, *, conversations: Sequence[Conversation]) -> None:
        """`save` for several chats (a batch of turns) in one statement; one state per chat."""
        if not conversations:
            return
        params = [
            {
                "channel": conversation.channel,
                "chat_id": conversation.chat_id,
                "state": conversation_to_state(conversation),
                "updated_at": conversation.updated_at,
            }
            for conversation in conversations
        ]
        _SAVE.write(self._session.connection(), params)
