"""Seeding records at chosen times, for the archive and retention tests.

The conversation tests make tickets by chatting; these tests need tickets from years ago, finished at
exact instants, so they write the records through the repositories as the flows would (a ticket with its
`created` event, status changes as events).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from bot.app import App
from dialogs.domain import (
    Conversation,
    EventKind,
    Resident,
    Ticket,
    TicketEvent,
    TicketStatus,
    TicketType,
    make_reference,
)
from dialogs.messages import ChannelName, Outgoing, Reply
from dialogs.ports import UnitOfWork


def local(app: App, when: str) -> datetime:
    """A site-local wall time (Asia/Shanghai by default) as an aware datetime."""
    return datetime.fromisoformat(when).replace(tzinfo=app.site.zone)


def add_resident(
    app: App, user_id: int, *, room: str, phone: str, name: str, since: datetime, language: str = "zh"
) -> Resident:
    """A registered resident of `room` (a key such as `3-2-502`)."""
    building, *_ = room.split("-")
    with app.uow_factory() as uow:
        household = uow.households.get_or_create(room=room, building=building)
        resident = uow.residents.save(
            resident=Resident(
                id=None,
                channel=ChannelName.CONSOLE.value,
                external_id=user_id,
                display_name=name,
                phone=phone,
                language=language,
                household_id=household.id,
                created_at=since,
            )
        )
        uow.commit()
    return resident


def add_ticket(
    app: App,
    resident: Resident,
    *,
    ticket_type: TicketType,
    created: datetime,
    description: str,
    sequence: int,
    finished: datetime | None = None,
    status: TicketStatus = TicketStatus.CLOSED,
    **fields: Any,
) -> Ticket:
    """A ticket created at `created` and, when `finished` is given, moved to `status` then."""
    assert resident.id is not None
    with app.uow_factory() as uow:
        ticket = uow.tickets.save(
            ticket=Ticket(
                id=None,
                reference=make_reference(ticket_type, created.astimezone(app.site.zone).date(), sequence),
                type=ticket_type,
                status=TicketStatus.OPEN,
                resident_id=resident.id,
                household_id=resident.household_id,
                description=description,
                created_at=created,
                updated_at=created,
                phone=resident.phone,
                chat_id=resident.external_id,
                channel=resident.channel,
                **fields,
            )
        )
        event(uow, ticket, EventKind.CREATED, created, f"resident:{resident.id}", type=ticket_type.value)
        if finished is not None:
            ticket = uow.tickets.save(ticket=replace(ticket, status=status, updated_at=finished))
            event(
                uow, ticket, EventKind.STATUS_CHANGED, finished, "staff:1", to=status.value, note="已处理好"
            )
        uow.commit()
    return ticket


def event(uow: UnitOfWork, ticket: Ticket, kind: EventKind, at: datetime, actor: str, **data: Any) -> None:
    """Append an event to a stored ticket."""
    assert ticket.id is not None
    uow.tickets.append_event(
        event=TicketEvent(id=None, ticket_id=ticket.id, kind=kind, at=at, actor=actor, data=data)
    )


def add_event(app: App, ticket: Ticket, kind: EventKind, at: datetime, actor: str, **data: Any) -> None:
    """`event` in a unit of work of its own."""
    with app.uow_factory() as uow:
        event(uow, ticket, kind, at, actor, **data)
        uow.commit()


def touch_chat(app: App, resident: Resident, at: datetime) -> None:
    """The resident's private chat last spoke at `at` (its conversation state)."""
    with app.uow_factory() as uow:
        uow.conversations.save(
            conversation=Conversation(
                channel=resident.channel, chat_id=resident.external_id, slots={"note": "私聊"}, updated_at=at
            )
        )
        uow.commit()


def add_outgoing(app: App, chat_id: int, text: str, at: datetime, *, sent: bool) -> int:
    """An outbox row queued at `at`, delivered or still waiting."""
    with app.uow_factory() as uow:
        message = Outgoing(channel=ChannelName.CONSOLE, chat_id=chat_id, reply=Reply(text=text))
        row_id = uow.outbox.enqueue(message=message, now=at)
        if sent:
            uow.outbox.mark_sent(message_id=row_id, now=at)
        uow.commit()
    return row_id
