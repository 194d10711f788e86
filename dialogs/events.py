"""Appending to a ticket's event log: every change of a ticket is a fact with who, what and when."""

from __future__ import annotations

from typing import Any

from dialogs.domain import EventKind, Ticket, TicketEvent
from dialogs.turn import Turn


def record(turn: Turn, ticket: Ticket, kind: EventKind, actor: str, **data: Any) -> None:
    """Append an event to the ticket's log at the turn's time."""
    if ticket.id is None:
        raise ValueError("an event needs a stored ticket")
    turn.uow.tickets.append_event(
        event=TicketEvent(id=None, ticket_id=ticket.id, kind=kind, at=turn.now, actor=actor, data=data)
    )


def resident_actor(turn: Turn) -> str:
    """How the turn's resident appears in event logs."""
    return f"resident:{turn.resident.id}"
