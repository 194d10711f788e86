"""Callback follow-ups (回访) in the database: due work claimed atomically, answers recorded once.

A claim chooses and updates in one step: PostgreSQL locks the chosen rows with `FOR UPDATE SKIP LOCKED`
(a concurrent worker passes over them instead of waiting), SQLite does the choice and the update in one
`UPDATE … RETURNING` under its single write lock. The status moves in the same transaction as the outgoing
question is written to the outbox, so a worker that dies before committing leaves the row as it was (nothing
lost) and one that commits has both (nothing asked twice).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, func, literal, or_, update
from sqlmodel import Session, col, select

from dialogs.followup.records import FollowUp, FollowUpKind, FollowUpStatus
from storage.dialect import dialect_name, literals, rows_for_keys
from storage.prepared import Pending, Prepared
from storage.rows import stored
from storage.tables import FollowUpRow, ResidentRow, TicketRow, table_of
from storage.types import UTCDateTime

__all__ = ["SqlFollowUpRepository"]

# A ticket whose follow-up may be asked: still handled (not reopened since).
_HANDLED = ("resolved", "closed")


_FOLLOWUPS = table_of(FollowUpRow)
# Asked and not yet answered.
_OPEN = literals(status.value for status in (FollowUpStatus.ASKED, FollowUpStatus.REMINDED))
# Prepared once: a resident's idle message is checked against the chat's open follow-up.
_AWAITING = Prepared(
    _FOLLOWUPS.select()
    .where(
        _FOLLOWUPS.c.channel == bindparam("channel"),
        _FOLLOWUPS.c.chat_id == bindparam("chat_id"),
        _FOLLOWUPS.c.status.in_(_OPEN),
    )
    .order_by(_FOLLOWUPS.c.sent_at.desc(), _FOLLOWUPS.c.id.desc())
    .limit(1)
)
# Which of a batch's chats have an open follow-up at all (most have none).
_AWAITING_CHATS = Prepared(
    rows_for_keys(
        select(_FOLLOWUPS.c.chat_id).where(
            _FOLLOWUPS.c.channel == bindparam("channel"), _FOLLOWUPS.c.status.in_(_OPEN)
        ),
        _FOLLOWUPS.c.chat_id,
        "chat_ids",
    )
)


def _followup(values: Mapping[str, Any]) -> FollowUp:
    return FollowUp(
        id=values["id"],
        ticket_id=values["ticket_id"],
        reference=values["reference"],
        kind=FollowUpKind(values["kind"]),
        status=FollowUpStatus(values["status"]),
        resident_id=values["resident_id"],
        channel=values["channel"],
        chat_id=values["chat_id"],
        resolved_at=values["resolved_at"],
        due_at=values["due_at"],
        window_end=values["window_end"],
        created_at=values["created_at"],
        sent_at=values["sent_at"],
        reminded_at=values["reminded_at"],
        answered_at=values["answered_at"],
        phone_at=values["phone_at"],
        phone_reason=values["phone_reason"],
        phone_result=values["phone_result"],
        rating=values["rating"],
        solved=values["solved"],
        comment=values["comment"] or "",
        late=bool(values["late"]),
        complaint_reference=values["complaint_reference"],
    )


def _from_row(row: FollowUpRow) -> FollowUp:
    return _followup(row.model_dump())


def _fields(followup: FollowUp) -> dict[str, Any]:
    fields = asdict(followup)
    fields.pop("id")
    fields["kind"] = followup.kind.value
    fields["status"] = followup.status.value
    return fields


class SqlFollowUpRepository:
    """Implements `dialogs.ports.FollowUpRepository` over one session.

    The chats a batch found without an open follow-up (`prefetch_awaiting`) are answered from memory
    until this repository next changes a follow-up or the transaction commits (`forget_read_ahead`), so a
    turn never acts on what an earlier turn of the same transaction changed. A chat that has one is read
    afresh when asked: acting on it (recording an answer) must see what the scheduler may have committed
    meanwhile (the question handed to staff as a phone task), as before.
    """

    def __init__(self, session: Session) -> None:
        self._session = session
        self._quiet: set[tuple[str, int]] = set()
        self._asked: list[tuple[str, list[int], Pending]] = []  # prefetches sent, not read yet

    def forget_read_ahead(self) -> None:
        """Drop what `prefetch_awaiting` found: called before every write, and at commit."""
        self._read_asked()  # answered before what makes it stale; read so that nothing is left over
        self._quiet.clear()

    def _read_asked(self) -> None:
        """Take the answers of the prefetches sent: the chats without an open follow-up."""
        for channel, chats, pending in self._asked:
            awaiting = {row.chat_id for row in pending.rows()}
            self._quiet.update((channel, chat) for chat in chats if chat not in awaiting)
        self._asked.clear()

    def add(self, *, followup: FollowUp) -> FollowUp:
        """Insert a new follow-up."""
        self.forget_read_ahead()
        return _from_row(stored(self._session, FollowUpRow, None, _fields(followup)))

    def save(self, *, followup: FollowUp) -> FollowUp:
        """Update a stored follow-up (insert when it has no id)."""
        self.forget_read_ahead()
        return _from_row(stored(self._session, FollowUpRow, followup.id, _fields(followup)))

    def get(self, *, followup_id: int) -> FollowUp | None:
        """A follow-up by id."""
        row = self._session.get(FollowUpRow, followup_id, populate_existing=True)
        return _from_row(row) if row is not None else None

    def for_ticket(self, *, ticket_id: int) -> FollowUp | None:
        """The ticket's follow-up, if it has one."""
        row = self._session.exec(select(FollowUpRow).where(FollowUpRow.ticket_id == ticket_id)).first()
        return _from_row(row) if row is not None else None

    def prefetch_awaiting(self, *, channel: str, chat_ids: Sequence[int]) -> None:
        """Find out in one query which of the chats have no open follow-up (a batch of turns)."""
        if not chat_ids:
            return
        chats = sorted(set(chat_ids))
        params = {"channel": channel, "chat_ids": chats}
        self._asked.append((channel, chats, _AWAITING_CHATS.send(self._session.connection(), params)))

    def awaiting_answer(self, *, channel: str, chat_id: int) -> FollowUp | None:
        """The newest asked, unanswered follow-up of a chat."""
        self._read_asked()
        if (channel, chat_id) in self._quiet:
            return None
        params = {"channel": channel, "chat_id": chat_id}
        row = _AWAITING.one_or_none(self._session.connection(), params)
        return _followup(row._asdict()) if row is not None else None

    def claim_due(self, *, now: datetime, limit: int) -> Sequence[FollowUp]:
        """Scheduled follow-ups due at `now` (ticket still handled) become `asked`, late past the window."""
        # Correlated, so each candidate (taken in due order from the status index) costs one key lookup.
        handled = (
            select(col(TicketRow.id))
            .where(col(TicketRow.id) == col(FollowUpRow.ticket_id), col(TicketRow.status).in_(_HANDLED))
            .exists()
        )
        due = (
            select(col(FollowUpRow.id))
            .where(
                FollowUpRow.status == FollowUpStatus.SCHEDULED.value,
                col(FollowUpRow.due_at) <= now,
                handled,
            )
            .order_by(col(FollowUpRow.due_at), col(FollowUpRow.id))
        )
        table = table_of(FollowUpRow)
        return self._claim(
            due,
            limit,
            status=FollowUpStatus.ASKED.value,
            sent_at=now,
            late=table.c.window_end < now,
        )

    def claim_reminders(
        self, *, asked_before: datetime, settled_before: datetime, now: datetime, limit: int
    ) -> Sequence[FollowUp]:
        """Asked before `asked_before` or, when earlier, past halfway between asking and the window's end (so
        a short window is reminded in time), but not after `settled_before`; still unrated: reminded now.
        A rated one is left alone: its reminder would offer rating buttons that only say "counted"."""
        halfway = self._seconds(col(FollowUpRow.sent_at)) + self._seconds(col(FollowUpRow.window_end)) <= (
            2 * self._seconds(literal(now, UTCDateTime()))
        )
        due = (
            select(col(FollowUpRow.id))
            .where(
                FollowUpRow.status == FollowUpStatus.ASKED.value,
                col(FollowUpRow.sent_at) <= settled_before,
                or_(col(FollowUpRow.sent_at) <= asked_before, halfway),
                col(FollowUpRow.rating).is_(None),
            )
            .order_by(col(FollowUpRow.sent_at), col(FollowUpRow.id))
        )
        return self._claim(due, limit, status=FollowUpStatus.REMINDED.value, reminded_at=now)

    def claim_phone(
        self, *, reminded_before: datetime, settled_before: datetime, now: datetime, limit: int
    ) -> Sequence[FollowUp]:
        """Reminded before `reminded_before` or by the window's end, but not after `settled_before`; still
        unrated: handed to staff as a phone task now."""
        due = (
            select(col(FollowUpRow.id))
            .where(
                FollowUpRow.status == FollowUpStatus.REMINDED.value,
                col(FollowUpRow.reminded_at) <= settled_before,
                or_(col(FollowUpRow.reminded_at) <= reminded_before, col(FollowUpRow.window_end) <= now),
                col(FollowUpRow.rating).is_(None),
            )
            .order_by(col(FollowUpRow.reminded_at), col(FollowUpRow.id))
        )
        return self._claim(
            due,
            limit,
            status=FollowUpStatus.PHONE.value,
            phone_at=now,
            phone_reason="no_answer",
        )

    def to_phone(
        self, *, followup_id: int, reason: str, now: datetime, unsent: bool = False
    ) -> FollowUp | None:
        """Hand a follow-up still awaiting its answer to staff as a phone task (`unsent`: its question was
        never sent); None when it is no longer awaiting (answered meanwhile), which is then left as it is."""
        table = table_of(FollowUpRow)
        values: dict[str, Any] = {
            "status": FollowUpStatus.PHONE.value,
            "phone_at": now,
            "phone_reason": reason,
        }
        if unsent:
            values["sent_at"] = None
        self.forget_read_ahead()
        awaiting = [FollowUpStatus.ASKED.value, FollowUpStatus.REMINDED.value]
        row = self._session.exec(
            update(table)
            .where(table.c.id == followup_id, table.c.status.in_(awaiting))
            .values(**values)
            .returning(*table.c)
        ).first()
        return _followup(dict(row._mapping)) if row is not None else None

    def _seconds(self, value: Any) -> Any:
        """A timestamp as a number of seconds (from some fixed epoch), so times can be summed in SQL."""
        if dialect_name(self._session) == "postgresql":
            return func.extract("epoch", value)
        return func.julianday(value) * 86400

    def _claim(self, due: Any, limit: int, **values: Any) -> list[FollowUp]:
        """Move up to `limit` rows chosen by `due` (of one status) to new `values`, atomically."""
        if limit <= 0:
            return []
        self.forget_read_ahead()
        due = due.limit(limit)
        chosen: Any
        if dialect_name(self._session) == "postgresql":
            chosen = list(self._session.exec(due.with_for_update(skip_locked=True, of=FollowUpRow)))
            if not chosen:
                return []
        else:
            chosen = due.scalar_subquery()
        table = table_of(FollowUpRow)
        # The chosen rows are locked (PostgreSQL) or chosen in this very statement (SQLite): matching them by
        # primary key alone keeps the update an index lookup per row however many rows share the status.
        statement = update(table).where(table.c.id.in_(chosen)).values(**values).returning(*table.c)
        rows = self._session.exec(statement).all()
        return sorted((_followup(dict(row._mapping)) for row in rows), key=lambda f: f.id or 0)

    def record_rating(self, *, followup_id: int, rating: int, now: datetime) -> bool:
        """Store the rating unless one is stored: one statement, so two presses at once count once."""
        self.forget_read_ahead()
        table = table_of(FollowUpRow)
        result = self._session.exec(
            update(table)
            .where(table.c.id == followup_id, table.c.rating.is_(None))
            .values(rating=rating, answered_at=now)
        )
        return bool(result.rowcount)

    def record_phone_result(
        self, *, followup_id: int, result: str, rating: int | None, solved: bool | None, now: datetime
    ) -> bool:
        """Staff's phone result, stored only by the first of two presses at once (True when this call stored
        it); the rating and "solved" fill only what the resident left unanswered, never overwrite it."""
        self.forget_read_ahead()
        table = table_of(FollowUpRow)
        values: dict[str, Any] = {"status": FollowUpStatus.DONE.value, "phone_result": result}
        if rating is not None:
            values["rating"] = func.coalesce(table.c.rating, rating)
            values["answered_at"] = func.coalesce(table.c.answered_at, now)
        if solved is not None:
            values["solved"] = func.coalesce(table.c.solved, solved)
        result_ = self._session.exec(
            update(table)
            .where(
                table.c.id == followup_id,
                table.c.status == FollowUpStatus.PHONE.value,
                table.c.phone_result.is_(None),
            )
            .values(**values)
        )
        return bool(result_.rowcount)

    def record_solved(self, *, followup_id: int, solved: bool, now: datetime) -> bool:
        """Store "was it solved" unless stored already."""
        self.forget_read_ahead()
        table = table_of(FollowUpRow)
        result = self._session.exec(
            update(table)
            .where(table.c.id == followup_id, table.c.solved.is_(None))
            .values(solved=solved, answered_at=now)
        )
        return bool(result.rowcount)

    def list_resolved(self, *, start: datetime, end: datetime) -> Sequence[FollowUp]:
        """Follow-ups of tickets resolved in [start, end), oldest first."""
        statement = (
            select(FollowUpRow)
            .where(col(FollowUpRow.resolved_at) >= start, col(FollowUpRow.resolved_at) < end)
            .order_by(col(FollowUpRow.resolved_at), col(FollowUpRow.id))
        )
        return [_from_row(row) for row in self._session.exec(statement)]

    def languages(self, *, resident_ids: Sequence[int]) -> dict[int, str]:
        """The residents' current languages, by id (one query for a whole batch)."""
        if not resident_ids:
            return {}
        statement = select(col(ResidentRow.id), col(ResidentRow.language)).where(
            col(ResidentRow.id).in_(sorted(set(resident_ids)))
        )
        rows = self._session.exec(statement)
        return {resident_id: language for resident_id, language in rows if resident_id is not None}

    def unreachable(self, *, resident_ids: Sequence[int]) -> set[int]:
        """Those of the residents who blocked the bot."""
        if not resident_ids:
            return set()
        statement = select(col(ResidentRow.id)).where(
            col(ResidentRow.id).in_(sorted(set(resident_ids))),
            col(ResidentRow.unreachable_since).is_not(None),
        )
        return {resident_id for resident_id in self._session.exec(statement) if resident_id is not None}

    def set_reachable(self, *, resident_id: int, unreachable_since: datetime | None) -> None:
        """Mark a resident unreachable since a time, or reachable again (None); no-op when unchanged."""
        table = table_of(ResidentRow)
        condition = (
            table.c.unreachable_since.is_not(None)
            if unreachable_since is None
            else table.c.unreachable_since.is_(None)
        )
        self._session.exec(
            update(table)
            .where(table.c.id == resident_id, condition)
            .values(unreachable_since=unreachable_since)
        )
