"""The ticket repository: tickets, their daily reference sequences and their append-only event log."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date, datetime
from typing import Any

from sqlalchemy import Row, String, bindparam, cast, func, insert, update
from sqlalchemy.dialects import postgresql
from sqlmodel import Session, col, select

from dialogs.domain import (
    REFERENCE_DIGITS,
    EventKind,
    Priority,
    Ticket,
    TicketEvent,
    TicketStatus,
    TicketType,
    make_reference,
    reference_prefix,
)
from dialogs.ports import ConcurrentUpdateError
from storage.dialect import per_dialect
from storage.prepared import Prepared
from storage.tables import TicketEventRow, TicketRow, TicketSequenceRow, table_of

__all__ = ["SqlTicketRepository"]

_CHUNK = 500  # ids per `IN (…)`, well inside every driver's parameter limit


def _ticket(row: TicketRow | Row[Any]) -> Ticket:
    assert row.id is not None
    return Ticket(
        id=row.id,
        reference=row.reference,
        type=TicketType(row.type),
        status=TicketStatus(row.status),
        resident_id=row.resident_id,
        description=row.description,
        created_at=row.created_at,
        updated_at=row.updated_at,
        household_id=row.household_id,
        location=row.location,
        category=row.category,
        phone=row.phone,
        preferred_time=row.preferred_time,
        priority=Priority(row.priority),
        language=row.language,
        channel=row.channel,
        chat_id=row.chat_id,
        photos=tuple(row.photos),
        details=dict(row.details),
        queue=row.queue,
        assignee_id=row.assignee_id,
        version=row.version,
    )


def _event(row: TicketEventRow) -> TicketEvent:
    return TicketEvent(
        id=row.id,
        ticket_id=row.ticket_id,
        kind=EventKind(row.kind),
        at=row.at,
        actor=row.actor,
        data=dict(row.data),
    )


def _ticket_fields(ticket: Ticket) -> dict[str, Any]:
    """A ticket's columns, but its id and version (the database's to set)."""
    return {
        "reference": ticket.reference,
        "type": ticket.type.value,
        "status": ticket.status.value,
        "priority": ticket.priority.value,
        "resident_id": ticket.resident_id,
        "household_id": ticket.household_id,
        "location": ticket.location,
        "category": ticket.category,
        "description": ticket.description,
        "phone": ticket.phone,
        "preferred_time": ticket.preferred_time,
        "language": ticket.language,
        "channel": ticket.channel,
        "chat_id": ticket.chat_id,
        "photos": list(ticket.photos),
        "details": dict(ticket.details),
        "created_at": ticket.created_at,
        "updated_at": ticket.updated_at,
        "queue": ticket.queue,
        "assignee_id": ticket.assignee_id,
    }


_TICKETS = table_of(TicketRow)
_EVENTS = table_of(TicketEventRow)
_SEQUENCES = table_of(TicketSequenceRow)
# Prepared once (see `storage.dialect.per_dialect`): every new ticket takes a number, is inserted (read back
# from the insert itself) and gets its first event; Core statements, not ORM objects and a flush.
_INSERT_EVENT = Prepared(
    insert(_EVENTS)
    .values({name: bindparam(name) for name in ("ticket_id", "kind", "at", "actor", "data")})
    .returning(_EVENTS.c.id)
)
# The columns a new ticket is written with (`_ticket_fields`): all but the database's own.
_TICKET_FIELDS = tuple(c.name for c in _TICKETS.c if c.name not in {"id", "version", "anonymised_at"})
_EVENT_FIELDS = ("kind", "at", "actor", "data")
_INSERT_TICKET = Prepared(
    insert(_TICKETS)
    .values({name: bindparam(name, type_=_TICKETS.c[name].type) for name in _TICKET_FIELDS})
    .returning(*_TICKETS.c)
)


def _build_next(upsert: Any) -> Any:
    """The day's next number of a ticket type (bound as `type`, `day`), taken with one upsert."""
    statement = upsert(_SEQUENCES).values(type=bindparam("type"), day=bindparam("day"), last=1)
    return statement.on_conflict_do_update(
        index_elements=["type", "day"], set_={"last": _SEQUENCES.c.last + 1}
    ).returning(_SEQUENCES.c.last)


def _build_create() -> Any:
    """A new ticket, its number and its first event in one statement, for PostgreSQL: a CTE takes the day's
    next number (the `_build_next` upsert), the ticket's insert writes the reference from it (the prefix
    bound, the number zero-padded as `make_reference` does; a number past the format's last inserts
    nothing) and the event's insert reads the new ticket's id. One round trip instead of three."""
    number = _build_next(postgresql.insert).cte("number")  # its `type` is the ticket's own
    digits = func.lpad(cast(number.c.last, String), REFERENCE_DIGITS, "0")
    fields = [name for name in _TICKET_FIELDS if name != "reference"]
    new = (
        insert(_TICKETS)
        .from_select(
            ["reference", *fields],
            select(
                bindparam("reference_prefix", type_=String()) + digits,
                *(bindparam(name, type_=_TICKETS.c[name].type) for name in fields),
            ).where(number.c.last < 10**REFERENCE_DIGITS),
            include_defaults=False,
        )
        .returning(*_TICKETS.c)
        .cte("new_ticket")
    )
    first = insert(_EVENTS).from_select(
        ["ticket_id", *_EVENT_FIELDS],
        select(new.c.id, *(bindparam(f"event_{name}", type_=_EVENTS.c[name].type) for name in _EVENT_FIELDS)),
    )
    return select(*new.c).add_cte(first.cte("first_event"))


_CREATE_WITH_EVENT = Prepared(_build_create())
# What "my requests" shows, newest first: read on every /mytickets.
_OF_RESIDENT = Prepared(
    _TICKETS.select()
    .where(_TICKETS.c.resident_id == bindparam("resident_id"))
    .order_by(_TICKETS.c.created_at.desc(), _TICKETS.c.id.desc())
    .limit(bindparam("limit"))
)


_NEXT_SEQUENCE = Prepared(per_dialect(_build_next))


class SqlTicketRepository:
    """Tickets and their events over one session."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def next_sequence(self, *, ticket_type: TicketType, day: date) -> int:
        """Take the next number with one upsert, so concurrent workers never get the same reference.

        The row lock taken by the upsert is held until the unit of work ends; keep that unit short.
        """
        params = {"type": ticket_type.value, "day": day}
        return int(_NEXT_SEQUENCE.scalar(self._session.connection(), params))

    def save(self, *, ticket: Ticket) -> Ticket:
        """Insert (id None) or update by id; the caller appends the matching event."""
        fields = _ticket_fields(ticket)
        if ticket.id is None:
            return _ticket(_INSERT_TICKET.one(self._session.connection(), fields))
        # Only the version that was read may be replaced: the ORM-enabled UPDATE also refreshes a copy of
        # the row this session already holds, so later reads in the same unit of work see the change.
        statement = (
            update(TicketRow)
            .where(col(TicketRow.id) == ticket.id, col(TicketRow.version) == ticket.version)
            .values(**fields, version=ticket.version + 1)
            .execution_options(synchronize_session="fetch")
        )
        if self._session.exec(statement).rowcount != 1:
            if self._session.get(TicketRow, ticket.id) is None:
                raise LookupError(f"no TicketRow with id {ticket.id}")
            raise ConcurrentUpdateError(f"ticket {ticket.reference} changed since version {ticket.version}")
        return replace(ticket, version=ticket.version + 1)

    def get(self, *, reference: str) -> Ticket | None:
        statement = select(TicketRow).where(TicketRow.reference == reference)
        row = self._session.exec(statement).one_or_none()
        return None if row is None else _ticket(row)

    def list_active(self, *, queue: str | None = None) -> Sequence[Ticket]:
        """Tickets someone still has to act on, oldest first (dispatch load, promise checks)."""
        active = [status.value for status in TicketStatus if status.is_active]
        statement = select(TicketRow).where(col(TicketRow.status).in_(active))
        if queue is not None:
            statement = statement.where(TicketRow.queue == queue)
        statement = statement.order_by(col(TicketRow.created_at), col(TicketRow.id))
        return [_ticket(row) for row in self._session.exec(statement)]

    def queue_load(self, *, queue: str) -> tuple[dict[int, int], int | None]:
        """Open tickets per assignee in `queue`, and who got the queue's newest assigned open ticket.

        A grouped count and a one-row read instead of loading the queue's open tickets: dispatch runs on
        every new ticket, so its cost must not grow with the backlog. Of tickets created at the same
        moment, the one with the higher id counts as the newer.
        """
        active = [status.value for status in TicketStatus if status.is_active]
        assignee = col(TicketRow.assignee_id)
        scope = (col(TicketRow.status).in_(active), TicketRow.queue == queue, assignee.is_not(None))
        counts = self._session.exec(select(assignee, func.count()).where(*scope).group_by(assignee))
        load = {int(staff_id): int(count) for staff_id, count in counts if staff_id is not None}
        newest = (
            select(assignee)
            .where(*scope)
            .order_by(col(TicketRow.created_at).desc(), col(TicketRow.id).desc())
        )
        return load, self._session.exec(newest.limit(1)).first()

    def list_created_between(self, *, start: datetime, end: datetime) -> Sequence[Ticket]:
        """Tickets received in [start, end), oldest first (the monthly report's month)."""
        statement = (
            select(TicketRow)
            .where(col(TicketRow.created_at) >= start, col(TicketRow.created_at) < end)
            .order_by(col(TicketRow.created_at), col(TicketRow.id))
        )
        return [_ticket(row) for row in self._session.exec(statement)]

    def list_for_household(self, *, household_id: int) -> Sequence[Ticket]:
        """Every ticket filed under the household, oldest first."""
        statement = (
            select(TicketRow)
            .where(TicketRow.household_id == household_id)
            .order_by(col(TicketRow.created_at), col(TicketRow.id))
        )
        return [_ticket(row) for row in self._session.exec(statement)]

    def list_for_resident(self, *, resident_id: int, limit: int = 20) -> Sequence[Ticket]:
        """The resident's tickets, newest first (what "my requests" shows)."""
        params = {"resident_id": resident_id, "limit": limit}
        return [_ticket(row) for row in _OF_RESIDENT.rows(self._session.connection(), params)]

    def create(
        self, *, ticket: Ticket, day: date, kind: EventKind, actor: str, data: dict[str, Any]
    ) -> Ticket:
        """Number a new ticket (`next_sequence`, `make_reference`) and insert it with its first event (at
        the ticket's creation time); the stored ticket.

        On PostgreSQL one statement (`_CREATE_WITH_EVENT`); SQLite cannot insert from a CTE, and has no
        round trips to save, so there it is the three statements `next_sequence`, `save` and
        `append_event` make.
        """
        if ticket.id is not None or ticket.reference:
            raise ValueError("create takes a new ticket (no id, no reference); save updates one")
        connection = self._session.connection()
        if connection.dialect.name != "postgresql":
            sequence = self.next_sequence(ticket_type=ticket.type, day=day)
            created = self.save(ticket=replace(ticket, reference=make_reference(ticket.type, day, sequence)))
            assert created.id is not None
            event = TicketEvent(
                id=None, ticket_id=created.id, kind=kind, at=ticket.created_at, actor=actor, data=data
            )
            self.append_event(event=event)
            return created
        event_fields = {"kind": kind.value, "at": ticket.created_at, "actor": actor, "data": dict(data)}
        params = (
            _ticket_fields(ticket)
            | {f"event_{name}": value for name, value in event_fields.items()}
            | {"day": day, "reference_prefix": reference_prefix(ticket.type, day)}
        )
        row = _CREATE_WITH_EVENT.one_or_none(connection, params)
        if row is None:  # the day's numbers of this type are used up (the insert selected nothing)
            raise ValueError(f"daily sequence out of range for {reference_prefix(ticket.type, day)}")
        return _ticket(row)

    def append_event(self, *, event: TicketEvent) -> TicketEvent:
        """Append a new event; events are facts, so an event that already has an id is refused."""
        if event.id is not None:
            raise ValueError("ticket events are append-only: cannot save an event that has an id")
        values = {
            "ticket_id": event.ticket_id,
            "kind": event.kind.value,
            "at": event.at,
            "actor": event.actor,
            "data": dict(event.data),
        }
        event_id = _INSERT_EVENT.scalar(self._session.connection(), values)
        return replace(event, id=int(event_id), data=dict(event.data))

    def events_of(self, *, ticket_ids: Sequence[int]) -> dict[int, list[TicketEvent]]:
        """Every listed ticket's events in append order, in one query per 500 tickets (not one per ticket:
        the promise check reads the whole open backlog on every tick)."""
        found: dict[int, list[TicketEvent]] = {ticket_id: [] for ticket_id in ticket_ids}
        ids = list(found)
        for start in range(0, len(ids), _CHUNK):
            statement = (
                select(TicketEventRow)
                .where(col(TicketEventRow.ticket_id).in_(ids[start : start + _CHUNK]))
                .order_by(col(TicketEventRow.id))
            )
            for row in self._session.exec(statement):
                found[row.ticket_id].append(_event(row))
        return found

    def events(self, *, ticket_id: int) -> Sequence[TicketEvent]:
        """The ticket's events in the order they were appended."""
        statement = (
            select(TicketEventRow)
            .where(TicketEventRow.ticket_id == ticket_id)
            .order_by(col(TicketEventRow.id))
        )
        return [_event(row) for row in self._session.exec(statement)]
