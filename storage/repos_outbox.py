"""The outbox: outgoing messages stored with the change that caused them, delivered by a sender.

A sender runs short units of work: `claim` and commit, deliver outside any transaction, then `mark_sent`
or `mark_failed` and commit. A claimed row is leased: if its sender dies, the lease runs out and another
sender re-claims it, so a crash may deliver a message twice but never loses one. An at-most-once row
(`Outgoing.once`, a callback question) is the exception: its expired lease means "maybe delivered", so it is
never re-claimed; `take_unknown` marks it `unknown` and hands its id to a person to review.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, bindparam, insert, or_, text, update
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from dialogs.messages import Outgoing
from storage.codec import outgoing_from_payload, outgoing_to_payload
from storage.dialect import ManyRows, dialect_name, literals
from storage.prepared import Prepared
from storage.tables import OUTBOX_OPEN, OUTBOX_OPEN_STATUSES, OutboxRow, OutboxStatus, table_of

log = logging.getLogger(__name__)

__all__ = ["SqlOutboxRepository", "StoredMessage"]

_FIELDS = (
    "channel",
    "chat_id",
    "audience",
    "payload",
    "status",
    "attempts",
    "available_at",
    "created_at",
    "once_key",
)
# A batch's rows, nothing read back (it may be sent in a pipeline: `UnitOfWork.sent_together`); one
# message with its id read back.
_ROWS = ManyRows(table_of(OutboxRow), _FIELDS)
_INSERT = Prepared(
    insert(table_of(OutboxRow))
    .values({name: bindparam(name) for name in _FIELDS})
    .returning(table_of(OutboxRow).c.id)
)


def _values(message: Outgoing, now: datetime) -> dict[str, Any]:
    """An outbox row's columns for a message due at `now`."""
    return {
        "channel": message.channel.value,
        "chat_id": message.chat_id,
        "audience": message.audience,
        "payload": outgoing_to_payload(message),
        "status": OutboxStatus.PENDING,
        "attempts": 0,
        "available_at": now,
        "created_at": now,
        "once_key": message.once,
    }


@dataclass(frozen=True)
class StoredMessage:
    """A claimed outbox row (implements `dialogs.ports.PendingMessage`)."""

    id: int
    message: Outgoing
    attempts: int


class SqlOutboxRepository:
    """Outgoing messages over one session."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def enqueue(self, *, message: Outgoing, now: datetime) -> int:
        """Store a message for delivery, due at once; returns its id.

        One prepared Core `INSERT … RETURNING` with parameters rather than an ORM object and a flush: a
        backlog of follow-ups writes thousands of rows per transaction, and nothing reads them as objects.
        """
        return int(_INSERT.scalar(self._session.connection(), _values(message, now)))

    def enqueue_many(self, *, messages: Sequence[Outgoing], now: datetime) -> None:
        """Store several messages, due at once, in their order, with one statement for all of them."""
        if messages:
            _ROWS.write(self._session.connection(), [_values(m, now) for m in messages])

    def claim(
        self, *, channel: str, now: datetime, limit: int, lease_seconds: int = 60
    ) -> Sequence[StoredMessage]:
        """Take up to `limit` due rows, oldest first, leasing them for `lease_seconds`.

        Due means pending and available, or being sent under a lease that has run out. PostgreSQL locks
        the chosen rows with `FOR UPDATE SKIP LOCKED`, so a concurrent sender passes over them instead of
        waiting; SQLite does the choice and the update in one `UPDATE … RETURNING`, which holds the
        database's single write lock. Either way two senders never take the same row.
        """
        if limit <= 0:
            return []
        table = table_of(OutboxRow)
        # A chat's message waits while an older one to the same chat is held back (postponed after a 429)
        # or in flight with another sender: replies arrive in the order they were written. The look-up
        # runs per candidate, in the chat's own open rows (`ix_outbox_open_chat`, whose condition is spelled
        # out with literals so that a generic plan of the prepared statement can still use it); `OFFSET 0`
        # keeps PostgreSQL from turning it into an anti-join, which it planned as a scan of every open row
        # per candidate whenever its statistics had not yet seen a backlog grow.
        older = aliased(OutboxRow)
        held_back = (
            select(col(older.id))
            .where(
                older.channel == OutboxRow.channel,
                older.chat_id == OutboxRow.chat_id,
                col(older.id) < col(OutboxRow.id),
                col(older.status).in_(literals(OUTBOX_OPEN_STATUSES)),
                or_(
                    and_(col(older.status) == OutboxStatus.PENDING, col(older.available_at) > now),
                    and_(col(older.status) == OutboxStatus.SENDING, col(older.lease_until) > now),
                ),
            )
            .offset(0)
            .exists()
        )
        due = select(col(OutboxRow.id)).where(
            OutboxRow.channel == channel,
            text(OUTBOX_OPEN),  # implied by the next condition; spelled out so the partial index serves
            or_(
                and_(col(OutboxRow.status) == OutboxStatus.PENDING, col(OutboxRow.available_at) <= now),
                and_(
                    col(OutboxRow.status) == OutboxStatus.SENDING,
                    col(OutboxRow.lease_until) <= now,
                    col(OutboxRow.once_key).is_(None),
                ),
            ),
            ~held_back,
        )
        due = due.order_by(col(OutboxRow.id)).limit(limit)
        chosen: Any
        if dialect_name(self._session) == "postgresql":
            chosen = list(self._session.exec(due.with_for_update(skip_locked=True)))
            if not chosen:
                return []
        else:
            chosen = due.scalar_subquery()
        statement = (
            update(table)
            .where(table.c.id.in_(chosen))
            .values(
                status=OutboxStatus.SENDING,
                lease_until=now + timedelta(seconds=lease_seconds),
                attempts=table.c.attempts + 1,
            )
            .returning(
                table.c.id,
                table.c.channel,
                table.c.chat_id,
                table.c.audience,
                table.c.payload,
                table.c.attempts,
                table.c.once_key,
            )
        )
        rows = self._session.exec(statement).all()
        claimed = [
            StoredMessage(
                id=row.id,
                message=replace(
                    outgoing_from_payload(
                        channel=row.channel, chat_id=row.chat_id, audience=row.audience, payload=row.payload
                    ),
                    once=row.once_key,
                ),
                attempts=row.attempts,
            )
            for row in rows
        ]
        return sorted(claimed, key=lambda message: message.id)

    def mark_sent(self, *, message_id: int, now: datetime) -> None:
        """Record delivery; the row stays as the record of what was sent. Only an open row (see
        `_settle_claimed`)."""
        self._settle_claimed(
            message_id, status=OutboxStatus.SENT, sent_at=now, lease_until=None, last_error=None
        )

    def mark_failed(self, *, message_id: int, now: datetime, error: str, retry_at: datetime | None) -> None:
        """Record a failed attempt: back to pending at `retry_at`, or `failed` for good when it is None.
        Only an open row (see `_settle_claimed`)."""
        if retry_at is None:
            self._settle_claimed(message_id, status=OutboxStatus.FAILED, lease_until=None, last_error=error)
        else:
            self._settle_claimed(
                message_id,
                status=OutboxStatus.PENDING,
                available_at=retry_at,
                lease_until=None,
                last_error=error,
            )

    def take_unknown(self, *, now: datetime, prefix: str, limit: int = 100) -> Sequence[str]:
        """At-most-once rows whose lease ran out while sending become `unknown`; returns their `once` ids.

        One `UPDATE … RETURNING` (with `SKIP LOCKED` on PostgreSQL), so each row is reported exactly once.
        """
        if limit <= 0:
            return []
        table = table_of(OutboxRow)
        expired = (
            select(col(OutboxRow.id))
            .where(
                col(OutboxRow.status) == OutboxStatus.SENDING,
                col(OutboxRow.lease_until) <= now,
                col(OutboxRow.once_key).startswith(prefix, autoescape=True),
            )
            .order_by(col(OutboxRow.id))
            .limit(limit)
        )
        chosen: Any
        if dialect_name(self._session) == "postgresql":
            chosen = list(self._session.exec(expired.with_for_update(skip_locked=True)))
            if not chosen:
                return []
        else:
            chosen = expired.scalar_subquery()
        statement = (
            update(table)
            .where(table.c.id.in_(chosen), table.c.status == OutboxStatus.SENDING)
            .values(status=OutboxStatus.UNKNOWN, lease_until=None, last_error="lease expired while sending")
            .returning(table.c.once_key)
        )
        return [str(row.once_key) for row in self._session.exec(statement).all()]

    def expire(self, *, message_id: int, now: datetime, error: str) -> None:
        """End a `sending` row's lease now: an at-most-once row whose delivery is unknown is then reported by
        `take_unknown` (never re-claimed), like one whose sender died mid-send."""
        table = table_of(OutboxRow)
        self._session.exec(
            update(table)
            .where(table.c.id == message_id, table.c.status == OutboxStatus.SENDING)
            .values(lease_until=now, last_error=error)
        )

    def release(self, *, message_id: int, retry_at: datetime, reason: str) -> None:
        """Back to pending at `retry_at`, undoing the attempt `claim` counted; only from `sending`, so a row
        that meanwhile went elsewhere is left alone."""
        table = table_of(OutboxRow)
        self._session.exec(
            update(table)
            .where(table.c.id == message_id, table.c.status == OutboxStatus.SENDING)
            .values(
                status=OutboxStatus.PENDING,
                available_at=retry_at,
                lease_until=None,
                last_error=reason,
                attempts=table.c.attempts - 1,  # `claim` counted it
            )
        )

    def _settle_claimed(self, message_id: int, **values: Any) -> None:
        """Update a row only while it is still open (`sending`, or `pending` again after another sender
        released it): a settled row keeps its state, above all one whose lease ran out and that
        `take_unknown` reported as `unknown` while a slow sender was still at it (staff are reviewing it)."""
        table = table_of(OutboxRow)
        open_ = [OutboxStatus.SENDING, OutboxStatus.PENDING]
        result = self._session.exec(
            update(table).where(table.c.id == message_id, table.c.status.in_(open_)).values(**values)
        )
        if result.rowcount == 1:
            return
        status = self._session.exec(select(col(OutboxRow.status)).where(OutboxRow.id == message_id)).first()
        if status is None:
            raise LookupError(f"no outbox message with id {message_id}")
        log.warning("outbox row already settled; outcome not recorded", extra={"outbox_id": message_id})
