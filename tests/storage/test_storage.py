"""The storage layer against real databases: every test runs on SQLite and on PostgreSQL."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import psycopg
import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import event, inspect, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError, IntegrityError, StatementError
from sqlmodel import Session, select

from dialogs.domain import (
    Conversation,
    EventKind,
    Priority,
    Resident,
    StaffMember,
    StaffRole,
    Ticket,
    TicketEvent,
    TicketStatus,
    TicketType,
    make_reference,
)
from dialogs.messages import Action, ActionKind, Button, ChannelName, Outgoing, Reply
from dialogs.ports import UnitOfWorkFactory
from storage.database import alembic_config, make_engine, upgrade
from storage.tables import HouseholdRow, TableBase
from storage.uow import SqlUnitOfWork, SqlUnitOfWorkFactory

T0 = datetime(2026, 11, 27, 1, 30, tzinfo=UTC)
BEIJING = timezone(timedelta(hours=8))


def _resident(uow: SqlUnitOfWorkFactory, external_id: int = 1001) -> Resident:
    with uow() as work:
        household = work.households.get_or_create(room="3-2-502", building="3", unit="2")
        resident = work.residents.save(
            resident=Resident(
                id=None,
                channel="telegram",
                external_id=external_id,
                display_name="王女士",
                phone="+8613800000000",
                household_id=household.id,
                created_at=T0,
            )
        )
        work.commit()
    return resident


def _ticket(resident: Resident, reference: str, created_at: datetime = T0) -> Ticket:
    assert resident.id is not None
    return Ticket(
        id=None,
        reference=reference,
        type=TicketType.REPAIR,
        status=TicketStatus.OPEN,
        resident_id=resident.id,
        description="厨房水管漏水",
        created_at=created_at,
        updated_at=created_at,
        household_id=resident.household_id,
        location="厨房",
        category="plumbing",
        phone="+8613800000000",
        preferred_time=datetime(2026, 11, 28, 10, 0, tzinfo=BEIJING),
        priority=Priority.URGENT,
        language="zh",
        channel="telegram",
        chat_id=-1001234567890123,
        photos=("AgACAgIAAxk-1", "AgACAgIAAxk-2"),
        details={"room": "3-2-502", "备注": "下午在家"},
    )


def _outgoing(text: str, chat_id: int = 42, channel: ChannelName = ChannelName.TELEGRAM) -> Outgoing:
    return Outgoing(channel=channel, chat_id=chat_id, reply=Reply(text=text))


def _connection(work: SqlUnitOfWork) -> Connection:
    """The unit of work's database connection, for what only a test does with it."""
    assert work._session is not None
    return work._session.connection()


def _in_threads(workers: int, job: Callable[[], None]) -> None:
    """Run `job` in `workers` threads started together; re-raise the first failure."""
    barrier = threading.Barrier(workers)
    errors: list[BaseException] = []

    def run() -> None:
        try:
            barrier.wait(timeout=10)
            job()
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=run) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in threads), "worker thread hung"
    if errors:
        raise errors[0]


class TestStorage:
    """One suite, two databases (see the `db_url` fixture)."""

    # --- schema -------------------------------------------------------------------------------------

    def test_upgrade_builds_the_models_schema_on_an_empty_database(self, db_url: str) -> None:
        engine = make_engine(db_url)
        try:
            assert inspect(engine).get_table_names() == []
            upgrade(engine)
            upgrade(engine)  # already at head: a no-op, not an error
            with engine.connect() as connection:
                context = MigrationContext.configure(connection, opts={"compare_type": True})
                assert (
                    context.get_current_revision()
                    == ScriptDirectory.from_config(alembic_config()).get_current_head()
                )
                assert compare_metadata(context, TableBase.metadata) == []
            tables = set(inspect(engine).get_table_names())
            assert tables == set(TableBase.metadata.tables) | {"alembic_version"}
        finally:
            engine.dispose()

    def test_upgrade_accepts_a_url(self, db_url: str) -> None:
        upgrade(db_url)
        engine = make_engine(db_url)
        try:
            assert "outbox" in inspect(engine).get_table_names()
        finally:
            engine.dispose()

    def test_factory_satisfies_the_port(self, uow: SqlUnitOfWorkFactory) -> None:
        factory: UnitOfWorkFactory = uow  # checked by mypy; at run time: a unit of work per call
        assert isinstance(factory(), SqlUnitOfWork)
        assert factory() is not factory()

    # --- people -------------------------------------------------------------------------------------

    def test_household_get_or_create_is_keyed_by_room(self, uow: SqlUnitOfWorkFactory) -> None:
        with uow() as work:
            first = work.households.get_or_create(room="3-2-502", building="3", unit="2")
            again = work.households.get_or_create(room="3-2-502", building="9", unit="9")
            other = work.households.get_or_create(room="1-1-101")
            work.commit()
        assert first.id is not None
        assert again == first  # existing household returned as stored, not overwritten
        assert (first.building, first.unit) == ("3", "2")
        assert other.id != first.id and other.building == ""
        with uow() as work:
            assert work.households.get(household_id=first.id) == first
            assert work.households.get(household_id=first.id + 1000) is None

    def test_resident_round_trip_and_update(self, uow: SqlUnitOfWorkFactory) -> None:
        created = datetime(2026, 11, 27, 9, 30, tzinfo=BEIJING)
        with uow() as work:
            saved = work.residents.save(
                resident=Resident(
                    id=None,
                    channel="telegram",
                    external_id=7_000_000_001,
                    display_name="Li",
                    created_at=created,
                )
            )
            work.commit()
        assert saved.id is not None
        with uow() as work:
            found = work.residents.find(channel="telegram", external_id=7_000_000_001)
            assert found == saved
            assert found is not None and found.created_at is not None
            assert found.created_at.tzinfo == UTC and found.created_at == created
            assert work.residents.find(channel="console", external_id=7_000_000_001) is None
            updated = work.residents.save(resident=replace(found, phone="13900000000", language="en"))
            work.commit()
        with uow() as work:
            assert work.residents.get(resident_id=saved.id) == updated
            assert updated.phone == "13900000000" and updated.id == saved.id
            assert work.residents.get(resident_id=saved.id + 1000) is None
            many = work.residents.find_many(channel="telegram", external_ids=[7_000_000_001, 42])
            assert many == {7_000_000_001: updated}  # read ahead for a batch; unknown people left out
            assert work.residents.find_many(channel="console", external_ids=[7_000_000_001]) == {}
            # First contact: the identity is created and read back from its insert; a second call finds it.
            fresh = Resident(
                id=None, channel="telegram", external_id=43, display_name="Wang", created_at=created
            )
            first = work.residents.find_or_create(resident=fresh)
            assert first.id is not None and first.display_name == "Wang" and first.created_at == created
            assert work.residents.find_or_create(resident=replace(fresh, display_name="other")) == first
            # A batch's newcomers in one write; one already registered is read back, not duplicated.
            newcomers = [
                replace(fresh, external_id=44),
                replace(fresh, display_name="other"),
                replace(fresh, external_id=45),
            ]
            together = work.residents.find_or_create_many(residents=newcomers)
            assert sorted(together) == [43, 44, 45] and together[43] == first
            assert len({resident.id for resident in together.values()}) == 3
            assert work.residents.find_many(channel="telegram", external_ids=[44, 45]) == {
                44: together[44],
                45: together[45],
            }

    def test_resident_identity_is_unique_per_channel(self, uow: SqlUnitOfWorkFactory) -> None:
        _resident(uow, external_id=5)
        with uow() as work:
            work.residents.save(resident=Resident(id=None, channel="console", external_id=5))
            work.commit()
        with uow() as work, pytest.raises(IntegrityError):
            work.residents.save(resident=Resident(id=None, channel="telegram", external_id=5))

    def test_saving_an_unknown_id_is_an_error(self, uow: SqlUnitOfWorkFactory) -> None:
        with uow() as work:
            with pytest.raises(LookupError):
                work.residents.save(resident=Resident(id=999, channel="telegram", external_id=1))
            with pytest.raises(LookupError):
                work.staff.save(member=StaffMember(id=999, telegram_id=1, name="x", role=StaffRole.AGENT))

    def test_the_staff_list_is_read_once_per_transaction_until_staff_change(
        self, uow: SqlUnitOfWorkFactory
    ) -> None:
        def member(telegram_id: int) -> StaffMember:
            return StaffMember(id=None, telegram_id=telegram_id, name="x", role=StaffRole.AGENT)

        with uow() as work, uow() as other:
            assert work.staff.list() == []
            other.staff.save(member=member(1))
            other.commit()
            assert work.staff.list() == []  # this transaction routes on the reading it made
            work.commit()  # a new transaction reads afresh
            assert [m.telegram_id for m in work.staff.list()] == [1]
            work.staff.save(member=member(2))  # and its own change is seen at once
            assert [m.telegram_id for m in work.staff.list()] == [1, 2]

    def test_staff_registry(self, uow: SqlUnitOfWorkFactory) -> None:
        with uow() as work:
            tech = work.staff.save(
                member=StaffMember(
                    id=None,
                    telegram_id=9_000_000_001,
                    name="张师傅",
                    role=StaffRole.TECHNICIAN,
                    skills=("水", "电"),
                )
            )
            boss = work.staff.save(
                member=StaffMember(id=None, telegram_id=2, name="Ann", role=StaffRole.MANAGER)
            )
            work.commit()
        with uow() as work:
            assert work.staff.find(telegram_id=9_000_000_001) == tech
            assert tech.skills == ("水", "电")
            assert work.staff.find(telegram_id=3) is None
            assert work.staff.list() == [tech, boss]
            work.staff.save(member=replace(tech, active=False))
            work.commit()
        with uow() as work:
            assert work.staff.list() == [boss]
            assert [m.telegram_id for m in work.staff.list(active_only=False)] == [9_000_000_001, 2]
        with uow() as work, pytest.raises(IntegrityError):
            work.staff.save(member=StaffMember(id=None, telegram_id=2, name="Dup", role=StaffRole.AGENT))

    # --- tickets ------------------------------------------------------------------------------------

    def test_a_new_ticket_is_numbered_and_created_with_its_first_event(
        self, engine: Engine, uow: SqlUnitOfWorkFactory
    ) -> None:
        resident = _resident(uow)
        ticket = _ticket(resident, "")
        day = date(2026, 11, 27)
        with uow() as work:
            created = work.tickets.create(
                ticket=ticket,
                day=day,
                kind=EventKind.CREATED,
                actor="resident:1",
                data={"type": "R", "类别": "水"},
            )
            second = work.tickets.create(ticket=ticket, day=day, kind=EventKind.CREATED, actor="x", data={})
            work.commit()
        assert created.id is not None and created == replace(ticket, id=created.id, reference="R2611270001")
        assert second.reference == make_reference(TicketType.REPAIR, day, 2) == "R2611270002"
        with uow() as work:
            assert work.tickets.get(reference="R2611270001") == created
            [event] = work.tickets.events(ticket_id=created.id)
            assert event.id is not None and event.ticket_id == created.id
            assert (event.kind, event.at, event.actor) == (EventKind.CREATED, T0, "resident:1")
            assert event.data == {"type": "R", "类别": "水"}
            assert work.tickets.next_sequence(ticket_type=TicketType.REPAIR, day=day) == 3  # numbers taken
            with pytest.raises(ValueError):
                work.tickets.create(ticket=created, day=day, kind=EventKind.CREATED, actor="x", data={})
            with pytest.raises(ValueError):
                work.tickets.create(
                    ticket=replace(ticket, reference="R1"),
                    day=day,
                    kind=EventKind.CREATED,
                    actor="x",
                    data={},
                )
        # The day's last number used: refused, nothing stored.
        with engine.begin() as connection:
            connection.execute(text("UPDATE ticket_sequences SET last = 9999"))
        with uow() as work, pytest.raises(ValueError, match="range"):
            work.tickets.create(ticket=ticket, day=day, kind=EventKind.CREATED, actor="x", data={})
        with uow() as work:
            assert [t.reference for t in work.tickets.list_for_resident(resident_id=created.resident_id)] == [
                "R2611270002",
                "R2611270001",
            ]

    def test_ticket_round_trip_and_update(self, uow: SqlUnitOfWorkFactory) -> None:
        resident = _resident(uow)
        ticket = _ticket(resident, "R2611270001")
        with uow() as work:
            saved = work.tickets.save(ticket=ticket)
            work.commit()
        assert saved.id is not None and saved == replace(ticket, id=saved.id)
        with uow() as work:
            loaded = work.tickets.get(reference="R2611270001")
            assert loaded == saved
            assert loaded is not None and loaded.preferred_time is not None
            assert loaded.preferred_time.tzinfo == UTC and loaded.created_at.tzinfo == UTC
            assert work.tickets.get(reference="R2611270099") is None
            later = T0 + timedelta(hours=2)
            work.tickets.save(ticket=replace(loaded, status=TicketStatus.ACCEPTED, updated_at=later))
            work.commit()
        with uow() as work:
            again = work.tickets.get(reference="R2611270001")
            assert again is not None
            assert again.status is TicketStatus.ACCEPTED and again.updated_at == later

    def test_ticket_reference_is_unique(self, uow: SqlUnitOfWorkFactory) -> None:
        resident = _resident(uow)
        with uow() as work:
            work.tickets.save(ticket=_ticket(resident, "R2611270001"))
            work.commit()
        with uow() as work, pytest.raises(IntegrityError):
            work.tickets.save(ticket=_ticket(resident, "R2611270001"))

    def test_foreign_keys_are_enforced(self, uow: SqlUnitOfWorkFactory) -> None:
        resident = _resident(uow)
        assert resident.id is not None
        with uow() as work, pytest.raises(IntegrityError):
            work.tickets.save(
                ticket=replace(_ticket(resident, "R2611270001"), resident_id=resident.id + 1000)
            )

    def test_tickets_of_a_resident_newest_first(self, uow: SqlUnitOfWorkFactory) -> None:
        resident = _resident(uow)
        neighbour = _resident(uow, external_id=2002)
        with uow() as work:
            for n in (2, 1, 3):
                work.tickets.save(
                    ticket=_ticket(resident, f"R261127000{n}", created_at=T0 + timedelta(minutes=n))
                )
            work.tickets.save(ticket=_ticket(neighbour, "R2611270009"))
            work.commit()
        assert resident.id is not None
        with uow() as work:
            mine = work.tickets.list_for_resident(resident_id=resident.id)
            assert [t.reference for t in mine] == ["R2611270003", "R2611270002", "R2611270001"]
            assert len(work.tickets.list_for_resident(resident_id=resident.id, limit=2)) == 2

    def test_events_are_appended_in_order(self, uow: SqlUnitOfWorkFactory) -> None:
        resident = _resident(uow)
        with uow() as work:
            ticket = work.tickets.save(ticket=_ticket(resident, "R2611270001"))
            assert ticket.id is not None
            created = work.tickets.append_event(
                event=TicketEvent(
                    id=None, ticket_id=ticket.id, kind=EventKind.CREATED, at=T0, actor="resident:1"
                )
            )
            changed = work.tickets.append_event(
                event=TicketEvent(
                    id=None,
                    ticket_id=ticket.id,
                    kind=EventKind.STATUS_CHANGED,
                    at=T0 - timedelta(seconds=1),  # order is append order, not the `at` order
                    actor="staff:9",
                    data={"from": "open", "to": "accepted", "note": "马上到", "n": 2, "nested": {"ok": True}},
                )
            )
            work.commit()
        with uow() as work:
            events = work.tickets.events(ticket_id=ticket.id)
            assert list(events) == [created, changed]
            assert events[1].data["nested"] == {"ok": True} and events[1].at.tzinfo == UTC
            with pytest.raises(ValueError, match="append-only"):
                work.tickets.append_event(event=created)

    def test_sequences_count_per_type_and_day(self, uow: SqlUnitOfWorkFactory) -> None:
        day = date(2026, 11, 27)
        with uow() as work:
            taken = [work.tickets.next_sequence(ticket_type=TicketType.REPAIR, day=day) for _ in range(3)]
            other_type = work.tickets.next_sequence(ticket_type=TicketType.COMPLAINT, day=day)
            other_day = work.tickets.next_sequence(ticket_type=TicketType.REPAIR, day=day + timedelta(days=1))
            work.commit()
        assert taken == [1, 2, 3] and other_type == 1 and other_day == 1
        with uow() as work:
            work.tickets.next_sequence(ticket_type=TicketType.REPAIR, day=day)  # rolled back: not taken
        with uow() as work:
            assert work.tickets.next_sequence(ticket_type=TicketType.REPAIR, day=day) == 4

    def test_sequences_are_atomic_across_connections(self, uow: SqlUnitOfWorkFactory) -> None:
        day = date(2026, 11, 27)
        taken: list[int] = []
        lock = threading.Lock()

        def take_fifty() -> None:
            for _ in range(50):
                with uow() as work:
                    number = work.tickets.next_sequence(ticket_type=TicketType.REPAIR, day=day)
                    work.commit()
                with lock:
                    taken.append(number)

        _in_threads(2, take_fifty)
        assert sorted(taken) == list(range(1, 101))

    # --- conversations ------------------------------------------------------------------------------

    def test_conversation_state_round_trip(self, uow: SqlUnitOfWorkFactory) -> None:
        conversation = Conversation(
            channel="telegram",
            chat_id=-1001234567890123,
            flow="repair",
            step="ask_location",
            slots={"room": "3-2-502", "photos": ["a", "b"], "urgent": True, "描述": "漏水"},
            misses=1,
            version=2,
            updated_at=T0,
        )
        with uow() as work:
            assert work.conversations.load(channel="telegram", chat_id=conversation.chat_id) is None
            work.conversations.save(conversation=conversation)
            work.commit()
        with uow() as work:
            assert work.conversations.load(channel="telegram", chat_id=conversation.chat_id) == conversation
            assert work.conversations.load(channel="console", chat_id=conversation.chat_id) is None
            finished = replace(
                conversation, flow=None, step=None, slots={}, misses=0, updated_at=T0 + timedelta(1)
            )
            work.conversations.save(conversation=finished)
            assert work.conversations.load(channel="telegram", chat_id=conversation.chat_id) == finished
            work.commit()
        with uow() as work:
            assert work.conversations.load(channel="telegram", chat_id=conversation.chat_id) == finished
            other = replace(conversation, chat_id=77, flow="complaint")
            work.conversations.save_many(conversations=[replace(finished, flow="praise"), other])  # a batch
            work.conversations.save_many(conversations=[])
            work.commit()
        with uow() as work:
            loaded = work.conversations.load(channel="telegram", chat_id=conversation.chat_id)
            assert loaded is not None and loaded.flow == "praise"
            assert work.conversations.load(channel="telegram", chat_id=77) == other
            states = work.conversations.load_many(channel="telegram", chat_ids=[77, conversation.chat_id, 78])
            assert states == {77: other, conversation.chat_id: loaded}  # a chat without state is left out
            assert work.conversations.load_many(channel="console", chat_ids=[77]) == {}

    # --- outbox -------------------------------------------------------------------------------------

    def test_outbox_round_trips_the_reply(self, uow: SqlUnitOfWorkFactory) -> None:
        reply = Reply(
            text="请确认报修信息",
            buttons=(
                (Button("确认", Action(ActionKind.CONFIRM)), Button("修改", Action(ActionKind.EDIT, "room"))),
                (Button("取消", Action(ActionKind.CANCEL)),),
            ),
            request_contact_label="分享手机号",
            remove_keyboard=True,
        )
        message = Outgoing(channel=ChannelName.TELEGRAM, chat_id=-100123, reply=reply, audience="staff")
        with uow() as work:
            message_id = work.outbox.enqueue(message=message, now=T0)
            work.commit()
        with uow() as work:
            claimed = work.outbox.claim(channel="telegram", now=T0, limit=10)
            work.commit()
        assert [(c.id, c.message, c.attempts) for c in claimed] == [(message_id, message, 1)]

    def test_a_batch_of_rows_is_stored_as_given_in_one_statement(
        self, engine: Engine, uow: SqlUnitOfWorkFactory
    ) -> None:
        statements: list[str] = []

        def record(*args: Any) -> None:
            statements.append(args[2])

        # Quotes, markup, CJK, emoji and a NUL (stored in a JSON column, though not in a text one).
        tricky = 'a "quote", a \\ backslash, <b>markup</b>, 中文, an emoji 🙂, a NUL \x00 and a line\n'
        messages = [
            Outgoing(ChannelName.TELEGRAM, 9001, Reply(text=tricky), once="survey:7"),
            _outgoing("second", 9002),
            Outgoing(ChannelName.TELEGRAM, -100123, Reply(text="third"), audience="staff"),
        ]
        beijing = T0.astimezone(timezone(timedelta(hours=8)))  # the same instant in another zone
        states = [
            Conversation(
                channel="telegram", chat_id=9001, flow="repair", slots={"room": tricky}, updated_at=T0
            ),
            Conversation(channel="telegram", chat_id=9002, updated_at=beijing),
        ]
        with uow() as work:
            work.conversations.save(conversation=replace(states[1], flow="praise"))  # replaced below
            work.commit()
        event.listen(engine, "before_cursor_execute", record)
        try:
            with uow() as work:
                work.outbox.enqueue_many(messages=messages, now=beijing)
                work.conversations.save_many(conversations=states)
                work.commit()
        finally:
            event.remove(engine, "before_cursor_execute", record)
        assert len([s for s in statements if s.startswith("INSERT")]) == 2  # one statement for each batch
        with uow() as work:
            claimed = work.outbox.claim(channel="telegram", now=T0, limit=10)
            stored = work.conversations.load_many(channel="telegram", chat_ids=[9001, 9002])
            work.commit()
        assert [c.message for c in claimed] == messages  # in their order, each as given
        assert [c.id for c in claimed] == sorted(c.id for c in claimed)
        assert stored == {9001: states[0], 9002: states[1]}
        assert stored[9002].updated_at == T0 and stored[9002].flow is None
        with pytest.raises(StatementError, match="naive"), uow() as work:
            work.outbox.enqueue_many(messages=messages, now=T0.replace(tzinfo=None))

    def test_outbox_claims_due_rows_in_order_and_per_channel(self, uow: SqlUnitOfWorkFactory) -> None:
        with uow() as work:
            ids = [work.outbox.enqueue(message=_outgoing(f"m{n}"), now=T0) for n in range(5)]
            work.outbox.enqueue(message=_outgoing("console", channel=ChannelName.CONSOLE), now=T0)
            future = work.outbox.enqueue(message=_outgoing("later"), now=T0 + timedelta(minutes=5))
            work.commit()
        with uow() as work:
            assert work.outbox.claim(channel="telegram", now=T0 - timedelta(seconds=1), limit=10) == []
            first = work.outbox.claim(channel="telegram", now=T0, limit=3, lease_seconds=3600)
            # the chat's older messages are in flight: the rest wait, so the chat's order is kept
            assert work.outbox.claim(channel="telegram", now=T0, limit=10, lease_seconds=3600) == []
            for claimed in first:
                work.outbox.mark_sent(message_id=claimed.id, now=T0)
            second = work.outbox.claim(channel="telegram", now=T0, limit=10, lease_seconds=3600)
            work.commit()
        assert [c.id for c in first] == ids[:3]
        assert [c.id for c in second] == ids[3:]  # claimed rows are leased, not handed out again
        assert [c.message.reply.text for c in second] == ["m3", "m4"]
        with uow() as work:
            for claimed in second:
                work.outbox.mark_sent(message_id=claimed.id, now=T0)
            assert [
                c.id for c in work.outbox.claim(channel="telegram", now=T0 + timedelta(minutes=5), limit=1)
            ] == [future]
            assert work.outbox.claim(channel="telegram", now=T0, limit=0) == []

    def test_outbox_sent_rows_stay_sent_and_leases_expire(self, uow: SqlUnitOfWorkFactory) -> None:
        with uow() as work:
            sent_id = work.outbox.enqueue(message=_outgoing("a"), now=T0)
            lost_id = work.outbox.enqueue(message=_outgoing("b"), now=T0)
            work.commit()
        with uow() as work:
            assert len(work.outbox.claim(channel="telegram", now=T0, limit=10, lease_seconds=30)) == 2
            work.outbox.mark_sent(message_id=sent_id, now=T0 + timedelta(seconds=1))
            work.commit()
        with uow() as work:
            assert work.outbox.claim(channel="telegram", now=T0 + timedelta(seconds=29), limit=10) == []
            again = work.outbox.claim(channel="telegram", now=T0 + timedelta(seconds=30), limit=10)
            work.commit()
        assert [(c.id, c.attempts) for c in again] == [(lost_id, 2)]
        with uow() as work, pytest.raises(LookupError):
            work.outbox.mark_sent(message_id=lost_id + 1000, now=T0)

    def test_outbox_mark_failed_retries_or_gives_up(self, uow: SqlUnitOfWorkFactory) -> None:
        with uow() as work:
            retry_id = work.outbox.enqueue(message=_outgoing("retry"), now=T0)
            dead_id = work.outbox.enqueue(message=_outgoing("dead"), now=T0)
            work.outbox.claim(channel="telegram", now=T0, limit=10)
            retry_at = T0 + timedelta(seconds=17)
            work.outbox.mark_failed(
                message_id=retry_id, now=T0, error="429 retry_after=17", retry_at=retry_at
            )
            work.outbox.mark_failed(message_id=dead_id, now=T0, error="403 blocked", retry_at=None)
            work.commit()
        with uow() as work:
            assert work.outbox.claim(channel="telegram", now=retry_at - timedelta(seconds=1), limit=10) == []
            retried = work.outbox.claim(channel="telegram", now=retry_at, limit=10)
            assert [(c.id, c.attempts) for c in retried] == [(retry_id, 2)]
            work.outbox.mark_sent(message_id=retry_id, now=retry_at)
            assert work.outbox.claim(channel="telegram", now=T0 + timedelta(days=30), limit=10) == []

    def test_outbox_concurrent_claimers_never_share_a_row(self, uow: SqlUnitOfWorkFactory) -> None:
        with uow() as work:
            ids = {work.outbox.enqueue(message=_outgoing(f"m{n}", chat_id=n % 7), now=T0) for n in range(120)}
            work.commit()
        claims: list[list[int]] = []
        lock = threading.Lock()

        def drain() -> None:
            for _ in range(10_000):  # bounded: a chat's rows wait only while an older one is in flight
                with lock:
                    if sum(len(batch) for batch in claims) >= len(ids):
                        return
                with uow() as work:
                    batch = [c.id for c in work.outbox.claim(channel="telegram", now=T0, limit=7)]
                    work.commit()
                if not batch:
                    continue
                assert batch == sorted(batch)
                with lock:
                    claims.append(batch)
                with uow() as work:  # delivered: the chats' next messages become claimable
                    for message_id in batch:
                        work.outbox.mark_sent(message_id=message_id, now=T0)
                    work.commit()

        _in_threads(3, drain)
        claimed = [message_id for batch in claims for message_id in batch]
        assert len(claimed) == len(set(claimed)) == len(ids)
        assert set(claimed) == ids

    # --- transactions and types ---------------------------------------------------------------------

    def test_nothing_is_kept_without_commit(self, engine: Engine, uow: SqlUnitOfWorkFactory) -> None:
        with uow() as work:
            work.households.get_or_create(room="kept")
            work.commit()
            work.households.get_or_create(room="dropped")  # after the commit, never committed
        with pytest.raises(RuntimeError, match="boom"), uow() as work:
            work.outbox.enqueue(message=_outgoing("x"), now=T0)
            work.conversations.save(conversation=Conversation(channel="telegram", chat_id=1, updated_at=T0))
            raise RuntimeError("boom")
        with uow() as work:
            assert work.outbox.claim(channel="telegram", now=T0, limit=10) == []
            assert work.conversations.load(channel="telegram", chat_id=1) is None
        with Session(engine) as session:
            assert list(session.exec(select(HouseholdRow.room))) == ["kept"]

    def test_writes_sent_together_commit_as_one_or_roll_back_as_one(
        self, engine: Engine, uow: SqlUnitOfWorkFactory
    ) -> None:
        state = Conversation(channel="telegram", chat_id=1, flow="repair", updated_at=T0)
        with uow() as work:
            work.households.get_or_create(room="1-101")  # an ORM change pending before: flushed first
            with work.sent_together():
                if engine.dialect.name == "postgresql":  # really pipelined: nothing answered yet
                    driver: Any = _connection(work).connection.driver_connection
                    assert driver.pgconn.pipeline_status == psycopg.pq.PipelineStatus.ON
                work.conversations.save_many(conversations=[state, replace(state, chat_id=2)])
                work.outbox.enqueue_many(messages=[_outgoing("a", 1), _outgoing("b", 2)], now=T0)
                work.outbox.enqueue_many(messages=[_outgoing("c", 3)], now=T0)  # one row: nothing read back
            work.commit()
        # A statement failing in the database among writes sent together: raised as SQLAlchemy's error
        # when the block ends, and none of them is kept, nor the ORM's change flushed before.
        with pytest.raises(DBAPIError, match="no_such_table"), uow() as work:
            work.households.get_or_create(room="1-102")
            with work.sent_together():
                work.conversations.save(conversation=replace(state, chat_id=3))
                _connection(work).execute(text("SELECT * FROM no_such_table"))
                work.outbox.enqueue_many(messages=[_outgoing("d", 4)], now=T0)
            work.commit()
        refused = pytest.raises(RuntimeError, match="after the `sent_together` block")
        with uow() as work, refused, work.sent_together():
            work.commit()  # would hand the connection to the pool in pipeline mode
        with pytest.raises(RuntimeError, match="boom"), uow() as work, work.sent_together():
            work.conversations.save(conversation=replace(state, chat_id=4))
            raise RuntimeError("boom")
        with uow() as work:
            states = work.conversations.load_many(channel="telegram", chat_ids=[1, 2, 3, 4])
            assert sorted(states) == [1, 2]
            claimed = work.outbox.claim(channel="telegram", now=T0, limit=10)
            assert sorted(stored.message.reply.text for stored in claimed) == ["a", "b", "c"]
        with Session(engine) as session:
            assert list(session.exec(select(HouseholdRow.room))) == ["1-101"]

    def test_the_commit_can_go_with_the_writes_sent_together(
        self, engine: Engine, uow: SqlUnitOfWorkFactory, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """`then_commit`: on PostgreSQL the COMMIT is sent in the pipeline with the writes (the transaction
        is over before the unit of work's own commit runs, which then sends nothing); committed when the
        block ends, nothing kept when a statement of it failed, the unit of work usable afterwards."""
        seen: list[object] = []
        commit = SqlUnitOfWork.commit

        def spied(self: SqlUnitOfWork) -> None:
            driver: Any = _connection(self).connection.driver_connection
            seen.append(getattr(driver, "info", None) and driver.info.transaction_status)
            commit(self)

        monkeypatch.setattr(SqlUnitOfWork, "commit", spied)
        state = Conversation(channel="telegram", chat_id=1, updated_at=T0)
        with uow() as work:
            work.conversations.load(channel="telegram", chat_id=0)  # the transaction begun
            with work.sent_together(then_commit=True):
                work.conversations.save(conversation=replace(state, chat_id=10))
                work.outbox.enqueue_many(messages=[_outgoing("x", 1)], now=T0)
            assert len(seen) == 1  # committed by the block
            if engine.dialect.name == "postgresql":
                assert seen == [psycopg.pq.TransactionStatus.IDLE]  # before the unit of work's commit
            assert work.conversations.load(channel="telegram", chat_id=10)  # usable: a new transaction
            with work.sent_together(then_commit=True):
                work.conversations.save(conversation=replace(state, chat_id=11))
        failing = pytest.raises(DBAPIError, match="no_such_table")
        with failing, uow() as work, work.sent_together(then_commit=True):
            work.conversations.save(conversation=replace(state, chat_id=12))
            _connection(work).execute(text("SELECT * FROM no_such_table"))
        with uow() as work:
            assert sorted(work.conversations.load_many(channel="telegram", chat_ids=[10, 11, 12])) == [10, 11]
            assert len(work.outbox.claim(channel="telegram", now=T0, limit=10)) == 1

    def test_a_connection_goes_back_to_the_pool_out_of_pipeline_mode(
        self, engine: Engine, uow: SqlUnitOfWorkFactory
    ) -> None:
        """The process's other threads (the outbox sender, the ticker) share the pool with the engine's: a
        connection must never reach them still in pipeline mode."""
        if engine.dialect.name != "postgresql":
            pytest.skip("pipeline mode is PostgreSQL's")
        states: list[object] = []

        def checked_in(dbapi_connection: Any, _record: Any) -> None:
            states.append(dbapi_connection.pgconn.pipeline_status)

        event.listen(engine.pool, "checkin", checked_in)
        state = Conversation(channel="telegram", chat_id=1, updated_at=T0)

        def writer() -> None:
            for n in range(40):
                with uow() as work:
                    with work.sent_together(then_commit=n % 2 == 0):
                        work.conversations.save(conversation=replace(state, chat_id=n))
                        work.outbox.enqueue_many(messages=[_outgoing("x", n)], now=T0)
                    if n % 2:
                        work.commit()

        def reader() -> None:
            for _ in range(60):
                with uow() as work:
                    work.conversations.load(channel="telegram", chat_id=1)
                    work.commit()

        threads = [threading.Thread(target=job) for job in (writer, reader, reader)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        event.remove(engine.pool, "checkin", checked_in)
        assert states and set(states) == {psycopg.pq.PipelineStatus.OFF}

    def test_unit_of_work_is_only_usable_inside_with(self, uow: SqlUnitOfWorkFactory) -> None:
        work = uow()
        with pytest.raises(RuntimeError):
            work.commit()
        with work, pytest.raises(RuntimeError):
            work.__enter__()
        with pytest.raises(RuntimeError):
            work.commit()

    def test_naive_datetimes_are_refused(self, uow: SqlUnitOfWorkFactory) -> None:
        with uow() as work, pytest.raises(StatementError, match="naive"):
            work.outbox.enqueue(message=_outgoing("x"), now=datetime(2026, 11, 27, 9, 0))
