"""Exactly-once intake: processed update ids and the per-chat lock, both inside the engine's transaction.

Telegram redelivers an update whose webhook call failed or timed out, and long polling hands out again
whatever was not confirmed before a restart. Recording the update id in the same transaction as the
update's effects makes the record and the effects commit (or vanish) together: a redelivered update finds
its id and has no second effect; an update whose handler died finds none and is handled in full.

Per-chat order across processes uses a PostgreSQL transaction-level advisory lock rather than a Redis lock:
it is held by the very transaction that reads and writes the chat's state, so "lock, read, write, commit"
is one atomic step (no lease that can run out mid-update, no compare-and-set needed on the conversation
row), and PostgreSQL releases it by itself when the holder commits, rolls back or dies (kill -9 closes the
connection). SQLite has a single writer and this product runs one process on it, where the channel's
in-process lock already orders a chat; there the lock is a no-op.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, bindparam, delete, text
from sqlalchemy.dialects import postgresql
from sqlalchemy.types import TypeEngine
from sqlmodel import Session, col

from storage.prepared import Prepared
from storage.tables import ProcessedUpdateRow
from storage.types import UTCDateTime

__all__ = ["SqlChatLocks", "SqlProcessedUpdateRepository", "chat_lock_key"]


# Prepared once (see `storage.dialect.per_dialect`): both run for every incoming update. The lock takes
# its chats in the order of the array (ascending keys, see `lock_many`).
_LOCK = Prepared(text("SELECT pg_advisory_xact_lock(key) FROM unnest(CAST(:keys AS BIGINT[])) AS key"))
# A batch's update ids in one statement whatever their number: an array on PostgreSQL, JSON on SQLite
# (whose `WHERE true` tells its parser that `ON CONFLICT` belongs to the insert, not to a join).
_CLAIM_SQL = {
    "postgresql": "SELECT :channel, id, :now FROM unnest(CAST(:ids AS BIGINT[])) AS id",
    "sqlite": "SELECT :channel, value, :now FROM json_each(:ids) WHERE true",
}
_IDS_TYPES: tuple[TypeEngine[Any], ...] = (postgresql.ARRAY(BigInteger()), JSON())
_CLAIM = Prepared(
    {
        name: text(
            "INSERT INTO processed_updates (channel, update_id, processed_at) "
            f"{select} ON CONFLICT (channel, update_id) DO NOTHING RETURNING update_id"
        )
        .bindparams(bindparam("now", type_=UTCDateTime()), bindparam("ids", type_=ids_type))
        .columns(update_id=BigInteger())
        for (name, select), ids_type in zip(_CLAIM_SQL.items(), _IDS_TYPES, strict=True)
    }
)


def chat_lock_key(channel: str, chat_id: int) -> int:
    """A stable signed 64-bit advisory-lock key for a chat (the same in every process and version)."""
    digest = hashlib.blake2b(f"frontdesk-chat:{channel}:{chat_id}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


class SqlChatLocks:
    """Implements `dialogs.ports.ChatLocks`: `pg_advisory_xact_lock` on PostgreSQL, nothing on SQLite."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def lock(self, *, channel: str, chat_id: int) -> None:
        """Block until this transaction holds the chat's lock (released with the transaction)."""
        self.lock_many(chats=[(channel, chat_id)])

    def lock_many(self, *, chats: Iterable[tuple[str, int]]) -> None:
        """`lock` for several chats in one statement, taken in ascending key order: every batch takes its
        locks in that one order, so two batches sharing chats wait for each other and never deadlock."""
        connection = self._session.connection()
        if connection.dialect.name == "postgresql":
            keys = sorted({chat_lock_key(channel, chat_id) for channel, chat_id in chats})
            if keys:
                _LOCK.execute(connection, {"keys": keys})


class SqlProcessedUpdateRepository:
    """Implements `dialogs.ports.ProcessedUpdateRepository` over one session."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def claim(self, *, channel: str, update_id: int, now: datetime) -> bool:
        """Insert the id; a concurrent transaction inserting the same id waits for this one and then finds
        it (`ON CONFLICT DO NOTHING`), so exactly one of two racing deliveries proceeds."""
        return update_id in self.claim_many(channel=channel, update_ids=[update_id], now=now)

    def claim_many(self, *, channel: str, update_ids: Sequence[int], now: datetime) -> set[int]:
        """`claim` for several updates in one multi-row insert; the ids recorded now (the rest were handled
        before)."""
        if not update_ids:
            return set()
        params = {"channel": channel, "ids": list(update_ids), "now": now}
        return {row.update_id for row in _CLAIM.rows(self._session.connection(), params)}

    def prune(self, *, before: datetime) -> int:
        """Delete records older than `before`; returns how many."""
        result = self._session.exec(
            delete(ProcessedUpdateRow).where(col(ProcessedUpdateRow.processed_at) < before)
        )
        return int(result.rowcount or 0)
