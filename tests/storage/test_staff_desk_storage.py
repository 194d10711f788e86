"""Storage for the staff desk on SQLite and PostgreSQL: queue and assignee columns, shifts, active tickets by
queue, and schedule marks that exactly one of several racing workers claims."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from dialogs.domain import (
    EventKind,
    Resident,
    StaffMember,
    StaffRole,
    Ticket,
    TicketEvent,
    TicketStatus,
    TicketType,
)
from dialogs.ports import ConcurrentUpdateError, UnitOfWork
from storage.uow import SqlUnitOfWorkFactory

T0 = datetime(2026, 11, 27, 1, 30, tzinfo=UTC)


def a_resident(work: UnitOfWork) -> int:
    """A stored resident's id (tickets need one)."""
    resident = work.residents.save(
        resident=Resident(id=None, channel="telegram", external_id=7, created_at=T0)
    )
    assert resident.id is not None
    return resident.id


def a_ticket(resident_id: int, reference: str, **changes: Any) -> Ticket:
    """An unsaved open repair ticket of the resident, with `changes` applied."""
    ticket = Ticket(
        id=None,
        reference=reference,
        type=TicketType.REPAIR,
        status=TicketStatus.OPEN,
        resident_id=resident_id,
        description="漏水",
        created_at=T0,
        updated_at=T0,
    )
    return replace(ticket, **changes)


def test_queue_assignee_shift_and_active_tickets(uow: SqlUnitOfWorkFactory) -> None:
    with uow() as work:
        member = work.staff.save(
            member=StaffMember(
                id=None, telegram_id=42, name="王建国", role=StaffRole.TECHNICIAN, on_shift=False
            )
        )
        assert member.id is not None
        base = a_ticket(a_resident(work), "R2611270001", queue="plumbing", assignee_id=member.id)
        work.tickets.save(ticket=base)
        work.tickets.save(ticket=replace(base, reference="R2611270002", queue="electrical", assignee_id=None))
        work.tickets.save(
            ticket=replace(
                base, reference="R2611270003", status=TicketStatus.CLOSED, created_at=T0 - timedelta(1)
            )
        )
        work.commit()
    with uow() as work:
        stored = work.staff.get(staff_id=member.id)
        assert stored is not None and stored.on_shift is False
        assert [t.reference for t in work.tickets.list_active()] == ["R2611270001", "R2611270002"]
        (plumbing,) = work.tickets.list_active(queue="plumbing")
        assert plumbing.assignee_id == member.id and plumbing.queue == "plumbing"
        assert work.staff.get(staff_id=member.id + 1000) is None


def test_queue_load_counts_open_tickets_per_assignee_and_finds_the_newest(uow: SqlUnitOfWorkFactory) -> None:
    """Dispatch reads the queue's load from the database: open tickets, of this queue, with an assignee."""
    with uow() as work:
        first, second = (
            work.staff.save(member=StaffMember(id=None, telegram_id=t, name=n, role=StaffRole.TECHNICIAN))
            for t, n in ((41, "甲"), (42, "乙"))
        )
        assert first.id is not None and second.id is not None
        resident_id = a_resident(work)
        rows = [
            ("R1", first.id, TicketStatus.OPEN, "plumbing", 0),
            ("R2", first.id, TicketStatus.ACCEPTED, "plumbing", 1),
            ("R3", second.id, TicketStatus.OPEN, "plumbing", 2),
            ("R4", second.id, TicketStatus.CLOSED, "plumbing", 5),  # closed: no load, not the newest
            ("R5", second.id, TicketStatus.OPEN, "electrical", 6),  # another queue
            ("R6", None, TicketStatus.OPEN, "plumbing", 7),  # nobody has it yet
        ]
        for reference, assignee, status, queue, minutes in rows:
            work.tickets.save(
                ticket=a_ticket(
                    resident_id,
                    reference,
                    assignee_id=assignee,
                    status=status,
                    queue=queue,
                    created_at=T0 + timedelta(minutes=minutes),
                )
            )
        work.commit()
    with uow() as work:
        assert work.tickets.queue_load(queue="plumbing") == ({first.id: 2, second.id: 1}, second.id)
        assert work.tickets.queue_load(queue="electrical") == ({second.id: 1}, second.id)
        assert work.tickets.queue_load(queue="empty") == ({}, None)


def test_events_of_many_tickets_in_one_read(uow: SqlUnitOfWorkFactory) -> None:
    """The promise check reads the whole backlog's events at once, each ticket's in append order."""
    with uow() as work:
        resident_id = a_resident(work)
        ids = []
        for number in range(3):
            ticket = work.tickets.save(
                ticket=a_ticket(resident_id, f"C{number}", type=TicketType.COMPLAINT, description="噪音")
            )
            assert ticket.id is not None
            ids.append(ticket.id)
        for ticket_id, kind in (
            (ids[0], EventKind.CREATED),
            (ids[1], EventKind.CREATED),
            (ids[0], EventKind.ASSIGNED),
        ):
            work.tickets.append_event(
                event=TicketEvent(id=None, ticket_id=ticket_id, kind=kind, at=T0, actor="system", data={})
            )
        work.commit()
    with uow() as work:
        found = work.tickets.events_of(ticket_ids=ids)
        assert [e.kind for e in found[ids[0]]] == [EventKind.CREATED, EventKind.ASSIGNED]
        assert [e.kind for e in found[ids[1]]] == [EventKind.CREATED]
        assert found[ids[2]] == []
        assert work.tickets.events_of(ticket_ids=[]) == {}


def test_a_ticket_changed_since_it_was_read_is_not_overwritten(uow: SqlUnitOfWorkFactory) -> None:
    """Two transactions read version 1; the first to save wins, the second is refused, not applied."""
    with uow() as work:
        created = work.tickets.save(
            ticket=a_ticket(a_resident(work), "R2611270009", status=TicketStatus.RESOLVED)
        )
        work.commit()
    assert created.version == 1
    with uow() as staff_side:
        closing = staff_side.tickets.get(reference="R2611270009")
        assert closing is not None
        with uow() as resident_side:
            reopening = resident_side.tickets.get(reference="R2611270009")
            assert reopening is not None
            resident_side.tickets.save(ticket=replace(reopening, status=TicketStatus.OPEN))
            resident_side.commit()
        with pytest.raises(ConcurrentUpdateError):
            staff_side.tickets.save(ticket=replace(closing, status=TicketStatus.CLOSED))
    with uow() as work:
        stored = work.tickets.get(reference="R2611270009")
        assert stored is not None and stored.status is TicketStatus.OPEN and stored.version == 2
        again = work.tickets.save(ticket=replace(stored, status=TicketStatus.ACCEPTED))
        assert again.version == 3  # the saved record carries its new version, so it can be saved again
        assert work.tickets.save(ticket=replace(again, status=TicketStatus.RESOLVED)).version == 4
        read = work.tickets.get(reference="R2611270009")
        assert read is not None and read.status is TicketStatus.RESOLVED and read.version == 4
        with pytest.raises(ConcurrentUpdateError):
            work.tickets.save(ticket=replace(stored, status=TicketStatus.CLOSED))  # stale copy, same session
        with pytest.raises(LookupError):
            work.tickets.save(ticket=replace(stored, id=10_000))


def test_schedule_marks_are_claimed_once_per_occurrence(uow: SqlUnitOfWorkFactory) -> None:
    with uow() as work:
        assert work.schedule_marks.claim(name="digest", due_at=T0) is True
        work.commit()
    with uow() as work:
        assert work.schedule_marks.claim(name="digest", due_at=T0) is False
        assert work.schedule_marks.claim(name="digest", due_at=T0 - timedelta(days=1)) is False
        assert work.schedule_marks.claim(name="other", due_at=T0) is True
        work.commit()
    results: list[bool] = []
    barrier = threading.Barrier(4)

    def race() -> None:
        with uow() as work:
            barrier.wait()
            results.append(work.schedule_marks.claim(name="digest", due_at=T0 + timedelta(days=1)))
            work.commit()

    threads = [threading.Thread(target=race) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [False, False, False, True]


def test_outbox_keeps_a_chats_order_behind_a_postponed_message(uow: SqlUnitOfWorkFactory) -> None:
    from dialogs.messages import ChannelName, Outgoing, Reply

    def message(chat_id: int, text: str) -> Outgoing:
        return Outgoing(channel=ChannelName.TELEGRAM, chat_id=chat_id, reply=Reply(text))

    with uow() as work:
        first = work.outbox.enqueue(message=message(1, "first"), now=T0)
        work.outbox.enqueue(message=message(1, "second"), now=T0)
        work.outbox.enqueue(message=message(2, "other chat"), now=T0)
        work.commit()
    with uow() as work:
        claimed = work.outbox.claim(channel="telegram", now=T0, limit=1)
        assert [c.id for c in claimed] == [first]
        work.outbox.mark_failed(message_id=first, now=T0, error="429", retry_at=T0 + timedelta(seconds=30))
        work.commit()
    with uow() as work:
        claimed = work.outbox.claim(channel="telegram", now=T0, limit=10)
        assert [c.message.reply.text for c in claimed] == ["other chat"]  # "second" waits behind "first"
        work.outbox.mark_sent(message_id=claimed[0].id, now=T0)
        work.commit()
    with uow() as work:
        later = [
            c.message.reply.text
            for c in work.outbox.claim(channel="telegram", now=T0 + timedelta(minutes=1), limit=10)
        ]
    assert later == ["first", "second"]


def test_a_new_resident_seen_twice_at_once_is_stored_once(uow: SqlUnitOfWorkFactory) -> None:
    ids: list[int | None] = []
    barrier = threading.Barrier(3)

    def arrive() -> None:
        with uow() as work:
            barrier.wait()
            resident = work.residents.find_or_create(
                resident=Resident(
                    id=None, channel="telegram", external_id=4242, display_name="新住户", created_at=T0
                )
            )
            work.commit()
            ids.append(resident.id)

    threads = [threading.Thread(target=arrive) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(ids) == 3 and len(set(ids)) == 1 and ids[0] is not None
