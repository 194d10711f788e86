"""Opening tickets and describing them to residents.

A ticket is always opened with its `created` event in the same unit of work, so the audit trail, the
promise clock and the reports never see a ticket without its history.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from dialogs.domain import (
    EventKind,
    Priority,
    Ticket,
    TicketStatus,
    TicketType,
)
from dialogs.events import resident_actor
from dialogs.staffdesk import StaffDesk
from dialogs.turn import Turn


def open_ticket(
    turn: Turn,
    ticket_type: TicketType,
    *,
    description: str,
    location: str = "",
    category: str | None = None,
    phone: str | None = None,
    preferred_time: datetime | None = None,
    priority: Priority = Priority.NORMAL,
    photos: tuple[str, ...] = (),
    details: dict[str, str] | None = None,
    household_id: int | None = None,
) -> Ticket:
    """Create a ticket for the turn's resident, with its reference and its first event, and dispatch it
    to its staff queue."""
    resident = turn.resident
    if resident.id is None:
        raise ValueError("the resident must be saved before a ticket is opened")
    day = turn.local_now.date()
    desk = StaffDesk()
    new = desk.route(
        turn,
        Ticket(
            id=None,
            reference="",  # numbered as it is stored
            type=ticket_type,
            status=TicketStatus.OPEN,
            resident_id=resident.id,
            household_id=household_id if household_id is not None else resident.household_id,
            description=description,
            location=location,
            category=category,
            phone=phone,
            preferred_time=preferred_time,
            priority=priority,
            language=resident.language,
            channel=turn.message.channel.value,
            chat_id=turn.message.chat_id,
            photos=photos,
            details=dict(details or {}),
            created_at=turn.now,
            updated_at=turn.now,
        ),
    )
    data: dict[str, Any] = {"type": ticket_type.value, "priority": priority.value}
    if category:
        data["category"] = category
    ticket = turn.uow.tickets.create(
        ticket=new, day=day, kind=EventKind.CREATED, actor=resident_actor(turn), data=data
    )
    if ticket.id is None:
        raise RuntimeError("the ticket repository returned a ticket without an id")
    return desk.dispatch(turn, ticket)


def status_label(turn: Turn, status: TicketStatus) -> str:
    """A ticket status in the resident's words."""
    return turn.t(f"status.{status.value}")


def type_label(turn: Turn, ticket_type: TicketType) -> str:
    """A ticket type in the resident's words."""
    return turn.t(f"ticket_type.{ticket_type.name.lower()}")


def describe_for_list(turn: Turn, ticket: Ticket) -> str:
    """One line of `/mytickets`."""
    summary = ticket.description if len(ticket.description) <= 30 else ticket.description[:29] + "…"
    return turn.t(
        "mytickets.line",
        reference=ticket.reference,
        type=type_label(turn, ticket.type),
        status=status_label(turn, ticket.status),
        created=turn.format_time(ticket.created_at),
        summary=summary,
    )
