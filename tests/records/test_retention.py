"""The retention purge on a fake clock: what goes, what stays, the reports count the same, twice is once."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from click.testing import CliRunner
from sqlmodel import Session, select

from bot.app import App
from bot.cli import cli
from bot.records_files import archive_dir
from bot.settings import Settings
from dialogs.clock import FakeClock
from dialogs.domain import EventKind, Priority, Resident, Ticket, TicketStatus, TicketType
from dialogs.followup.records import FollowUp, FollowUpKind, FollowUpStatus
from dialogs.records.archive import Table
from dialogs.records.quarters import Quarter
from dialogs.records.retention import PurgeCounts, Retention, RetentionJob
from dialogs.reports.delivery import compute_report
from dialogs.reports.monthly import MonthlyReport
from dialogs.reports.period import ReportMonth
from dialogs.survey.model import Answer, Campaign, CampaignStatus
from storage.tables import OutboxRow
from tests.records.support import (
    add_event,
    add_outgoing,
    add_resident,
    add_ticket,
    local,
    touch_chat,
)


@dataclass
class Estate:
    """Records of several ages around the cut-off (27 Nov 2024 10:00 local, two years before the clock)."""

    old: Resident
    open_: Resident
    recent: Resident
    late: Resident
    silent: Resident
    chatty: Resident
    leak: Ticket
    complaint: Ticket
    still_open: Ticket
    recent_ticket: Ticket
    late_event: Ticket
    outbox_old_sent: int
    outbox_old_pending: int
    outbox_recent: int


@pytest.fixture
def estate(app: App) -> Estate:
    long_ago = local(app, "2024-01-10T09:00")
    old = add_resident(app, 1001, room="3-2-502", phone="13812345678", name="张三", since=long_ago)
    leak = add_ticket(
        app,
        old,
        ticket_type=TicketType.REPAIR,
        created=local(app, "2024-06-01T10:00"),
        finished=local(app, "2024-06-03T16:00"),
        description="厨房水管漏水，我的电话13812345678",
        sequence=1,
        location="3栋2单元502厨房",
        category="plumbing",
        queue="plumbing",
        photos=("photo-file-1",),
        details={"time_note": "下午家里有人"},
    )
    add_event(app, leak, EventKind.STAFF_REPLY, local(app, "2024-06-01T11:00"), "staff:1", text="师傅明天到")
    add_event(
        app, leak, EventKind.NOTE, local(app, "2024-06-01T12:00"), f"resident:{old.id}", relayed="家有老人"
    )
    add_event(app, leak, EventKind.REFUSED, local(app, "2024-06-01T12:30"), "telegram:999", action="accept")
    complaint = add_ticket(
        app,
        old,
        ticket_type=TicketType.COMPLAINT,
        created=local(app, "2024-07-01T10:00"),
        finished=local(app, "2024-07-02T10:00"),
        status=TicketStatus.RESOLVED,
        description="保安态度很差，还骂人",
        sequence=1,
        queue="front_desk",
        details={"complaint_class": "service", "anonymous": "true"},
    )
    touch_chat(app, old, local(app, "2024-07-02T10:00"))

    open_ = add_resident(app, 1002, room="5-1-301", phone="13900000002", name="李四", since=long_ago)
    still_open = add_ticket(
        app,
        open_,
        ticket_type=TicketType.REPAIR,
        created=local(app, "2024-05-01T10:00"),
        finished=local(app, "2024-05-01T11:00"),
        status=TicketStatus.ACCEPTED,
        description="阳台门锁坏了",
        sequence=1,
    )
    recent = add_resident(app, 1003, room="6-1-101", phone="13900000003", name="王五", since=long_ago)
    recent_ticket = add_ticket(
        app,
        recent,
        ticket_type=TicketType.REPAIR,
        created=local(app, "2024-06-01T09:00"),
        finished=local(app, "2025-06-01T10:00"),
        description="卫生间下水堵塞",
        sequence=2,
    )
    late = add_resident(app, 1004, room="7-1-101", phone="13900000004", name="赵六", since=long_ago)
    late_event = add_ticket(
        app,
        late,
        ticket_type=TicketType.REPAIR,
        created=local(app, "2024-05-01T09:00"),
        finished=local(app, "2024-05-02T10:00"),
        description="客厅灯不亮",
        sequence=2,
    )
    add_event(
        app,
        late_event,
        EventKind.NOTE,
        local(app, "2025-01-10T10:00"),
        f"resident:{late.id}",
        relayed="又坏了",
    )
    silent = add_resident(
        app, 1005, room="8-1-101", phone="13900000005", name="孙七", since=local(app, "2023-03-01T09:00")
    )
    chatty = add_resident(
        app, 1006, room="9-1-101", phone="13900000006", name="周八", since=local(app, "2023-03-01T09:00")
    )
    touch_chat(app, chatty, local(app, "2026-10-01T09:00"))
    return Estate(
        old=old,
        open_=open_,
        recent=recent,
        late=late,
        silent=silent,
        chatty=chatty,
        leak=leak,
        complaint=complaint,
        still_open=still_open,
        recent_ticket=recent_ticket,
        late_event=late_event,
        outbox_old_sent=add_outgoing(app, 1001, "您的报修已受理", local(app, "2024-06-03T16:00"), sent=True),
        outbox_old_pending=add_outgoing(app, 1002, "待发送", local(app, "2024-06-03T16:00"), sent=False),
        outbox_recent=add_outgoing(app, 1003, "已完成", local(app, "2025-06-01T10:00"), sent=True),
    )


def purge(app: App, **kwargs: Any) -> PurgeCounts:
    with app.uow_factory() as uow:
        counts = Retention(site=app.site).purge_batch(uow, app.clock.now(), **kwargs)
        uow.commit()
    return counts


def ticket(app: App, reference: str) -> Ticket:
    with app.uow_factory() as uow:
        found = uow.tickets.get(reference=reference)
    assert found is not None
    return found


def resident(app: App, resident_id: int | None) -> Resident:
    assert resident_id is not None
    with app.uow_factory() as uow:
        found = uow.residents.get(resident_id=resident_id)
    assert found is not None
    return found


def report(app: App, year: int, month: int) -> MonthlyReport:
    with app.uow_factory() as uow:
        return compute_report(uow, ReportMonth.of(year, month, app.site), app.site)


def counted(report: MonthlyReport) -> tuple[object, ...]:
    """Every figure of a report (the quoted texts, which do go, left out)."""
    return (
        report.tickets,
        report.by_type,
        report.complaints,
        (report.suggestions.received, report.suggestions.adopted, report.suggestions.rejected),
        report.repairs,
        report.emergencies,
        report.orders,
        report.praise,
        report.staff,
        len(report.flags),
    )


def test_personal_data_of_finished_old_matters_is_removed(app: App, estate: Estate) -> None:
    counts = purge(app)

    assert counts == PurgeCounts(
        tickets=2, events=7, residents=2, conversations=1, outbox=1, message_refs=0, survey_comments=0
    )
    leak = ticket(app, estate.leak.reference)
    assert (leak.description, leak.location, leak.phone, leak.photos, leak.chat_id) == ("", "", None, (), 0)
    assert leak.details == {}
    # what the reports count stays
    assert (leak.type, leak.status, leak.category, leak.queue, leak.priority) == (
        TicketType.REPAIR,
        TicketStatus.CLOSED,
        "plumbing",
        "plumbing",
        Priority.NORMAL,
    )
    assert (leak.created_at, leak.updated_at, leak.household_id) == (
        estate.leak.created_at,
        estate.leak.updated_at,
        estate.leak.household_id,
    )
    with app.uow_factory() as uow:
        assert leak.id is not None
        events = {e.kind: e for e in uow.tickets.events(ticket_id=leak.id)}
    assert events[EventKind.STAFF_REPLY].data == {}
    assert events[EventKind.NOTE].data == {}
    assert events[EventKind.STATUS_CHANGED].data == {"to": "closed"}  # the resolution note is gone
    assert events[EventKind.CREATED].data == {"type": "R"}
    assert events[EventKind.REFUSED].actor == "telegram"
    assert events[EventKind.REFUSED].data == {"action": "accept"}

    complaint = ticket(app, estate.complaint.reference)
    assert complaint.description == ""
    assert complaint.details == {"complaint_class": "service", "anonymous": "true", "cause": "attitude"}

    old = resident(app, estate.old.id)
    assert (old.display_name, old.phone, old.household_id) == ("", None, None)
    assert old.external_id == -(estate.old.id or 0)
    silent = resident(app, estate.silent.id)
    assert (silent.display_name, silent.phone) == ("", None)
    with app.uow_factory() as uow:
        assert (
            uow.residents.find(channel="console", external_id=1001) is None
        )  # the account no longer leads here
        assert uow.conversations.load(channel="console", chat_id=1001) is None


def test_open_recent_and_still_active_records_are_kept(app: App, estate: Estate) -> None:
    purge(app)

    for kept in (estate.still_open, estate.recent_ticket, estate.late_event):
        assert ticket(app, kept.reference).description == kept.description
        assert ticket(app, kept.reference).phone == kept.phone
    for person in (estate.open_, estate.recent, estate.late, estate.chatty):
        assert resident(app, person.id).phone == person.phone
    with app.uow_factory() as uow:
        assert uow.conversations.load(channel="console", chat_id=1006) is not None
    with Session(app.db) as session:
        left = set(session.exec(select(OutboxRow.id)).all())
    assert left == {estate.outbox_old_pending, estate.outbox_recent}


def test_report_counts_are_the_same_after_the_purge(app: App, estate: Estate) -> None:
    months = [(2024, 5), (2024, 6), (2024, 7)]
    before = [counted(report(app, year, month)) for year, month in months]
    assert [figures[0] for figures in before] == [2, 2, 1]  # the seeded tickets are in the reports

    purge(app)

    assert [counted(report(app, year, month)) for year, month in months] == before


def test_purging_again_changes_nothing(app: App, estate: Estate) -> None:
    purge(app)
    with app.uow_factory() as uow:
        snapshot = [uow.records.residents(), uow.records.tickets_of_resident(resident_id=estate.old.id or 0)]

    assert purge(app) == PurgeCounts()
    with app.uow_factory() as uow:
        assert [
            uow.records.residents(),
            uow.records.tickets_of_resident(resident_id=estate.old.id or 0),
        ] == snapshot


def test_batches_go_through_everything_a_batch_at_a_time(app: App, estate: Estate) -> None:
    first = purge(app, limit=1)
    second = purge(app, limit=1)
    third = purge(app, limit=1)

    assert (first.tickets, second.tickets, third.tickets) == (1, 1, 0)
    assert first.residents + second.residents + third.residents == 2


def test_a_shorter_site_period_reaches_further(app: App, estate: Estate) -> None:
    site = app.site.model_copy(update={"retention_days": 365})
    with app.uow_factory() as uow:
        counts = Retention(site=site).purge_batch(uow, app.clock.now())
        uow.commit()
    # the ticket closed 2025-06-01 is now past the period too (and its resident with it)
    assert counts.tickets == 4
    assert ticket(app, estate.recent_ticket.reference).description == ""


class MemoryArchives:
    """An archive store in memory: which quarters exist."""

    def __init__(self, quarters: list[Quarter]) -> None:
        self.quarters = quarters

    def write(self, quarter: Quarter, tables: Sequence[Table]) -> str:
        self.quarters.append(quarter)
        return quarter.label

    def stored(self) -> list[Quarter]:
        return sorted(self.quarters)

    def remove(self, quarter: Quarter) -> None:
        self.quarters.remove(quarter)


def test_the_nightly_job_runs_once_a_night_and_expires_old_archives(
    app: App, estate: Estate, clock: FakeClock
) -> None:
    archives = MemoryArchives([Quarter(2024, 2), Quarter(2024, 3), Quarter(2024, 4), Quarter(2026, 3)])
    job = RetentionJob(site=app.site, archives=archives)
    clock.set(local(app, "2026-11-28T03:00"))

    with app.uow_factory() as uow:
        job.run(uow, clock.now())
        uow.commit()
    assert ticket(app, estate.leak.reference).description == ""
    # the cut-off is 28 Nov 2024: 2024Q3 ended before it, 2024Q4 did not
    assert archives.stored() == [Quarter(2024, 4), Quarter(2026, 3)]

    late = add_ticket(
        app,
        estate.silent,
        ticket_type=TicketType.PRAISE,
        created=local(app, "2024-01-05T10:00"),
        finished=local(app, "2024-01-05T11:00"),
        description="感谢保洁阿姨",
        sequence=1,
    )
    clock.advance(timedelta(hours=5))
    with app.uow_factory() as uow:
        job.run(uow, clock.now())  # the same night: already done
        uow.commit()
    assert ticket(app, late.reference).description == "感谢保洁阿姨"

    clock.advance(timedelta(days=1))
    with app.uow_factory() as uow:
        job.run(uow, clock.now())
        uow.commit()
    assert ticket(app, late.reference).description == ""


def test_the_purge_command_reports_first_and_removes_when_asked(
    app: App, estate: Estate, settings: Settings
) -> None:
    env = {"FRONTDESK_VAR_DIR": str(settings.var_dir), "FRONTDESK_DATABASE_URL": app.settings.database_url}
    old_archive = archive_dir(settings) / "2024Q2"
    old_archive.mkdir(parents=True)
    (archive_dir(settings) / "2026Q3").mkdir()
    now = ["--now", "2026-11-27T10:00"]  # site-local, as the office writes it

    dry = CliRunner().invoke(cli, ["records", "purge", "--dry-run", *now], env=env)
    assert dry.exit_code == 0, dry.output
    assert "records finished before 2024-11-27T10:00:00+08:00" in dry.output
    assert "would remove: tickets 2, events 7, residents 2, conversations 1, outbox 1" in dry.output
    assert "archives 1" in dry.output
    assert ticket(app, estate.leak.reference).description == estate.leak.description
    assert old_archive.exists()

    real = CliRunner().invoke(cli, ["records", "purge", *now], env=env)
    assert real.exit_code == 0, real.output
    assert "removed: tickets 2, events 7, residents 2, conversations 1, outbox 1" in real.output
    assert ticket(app, estate.leak.reference).description == ""
    assert not old_archive.exists() and (archive_dir(settings) / "2026Q3").exists()

    again = CliRunner().invoke(cli, ["records", "purge", *now], env=env)
    assert "removed: tickets 0, events 0, residents 0, conversations 0, outbox 0" in again.output


def test_callbacks_keep_their_rating_and_lose_the_words(app: App, estate: Estate) -> None:
    answered_at = local(app, "2024-06-05T10:00")
    add_followup(app, estate.leak, FollowUpStatus.ANSWERED, rating=2, comment="还是漏，电话13812345678")
    waiting = add_ticket(
        app,
        estate.old,
        ticket_type=TicketType.REPAIR,
        created=local(app, "2024-06-10T10:00"),
        finished=local(app, "2024-06-11T10:00"),
        description="窗户关不严",
        sequence=3,
    )
    add_followup(app, waiting, FollowUpStatus.PHONE)  # staff still have to phone: not done yet
    with app.uow_factory() as uow:
        campaign = uow.surveys.add_campaign(
            campaign=Campaign(
                id=None,
                name="2024年度调查",
                status=CampaignStatus.CLOSED,
                dimensions=("water",),
                rate_per_minute=20,
                reminder_days=3,
                created_at=answered_at,
            )
        )
        assert campaign.id is not None and estate.old.household_id is not None
        uow.surveys.add_deliveries(campaign_id=campaign.id, household_ids=[estate.old.household_id])
        (form,) = uow.surveys.claim_due(campaign_id=campaign.id, now=answered_at, limit=1)
        assert form.id is not None
        uow.surveys.record_answer(answer=Answer(form.id, "water", 3, estate.old.id, answered_at))
        uow.surveys.mark_finished(delivery_id=form.id, comment="水压太低", now=answered_at)
        uow.commit()

    counts = purge(app)

    assert (counts.tickets, counts.survey_comments) == (2, 1)
    assert counts.residents == 1  # the waiting callback keeps 张三 on file
    with app.uow_factory() as uow:
        assert estate.leak.id is not None and waiting.id is not None
        done = uow.followups.for_ticket(ticket_id=estate.leak.id)
        assert done is not None and (done.rating, done.comment, done.chat_id) == (2, "", 0)
        assert uow.surveys.form_answers(delivery_id=form.id) == {"water": 3}
        (scrubbed,) = uow.surveys.deliveries(campaign_id=campaign.id)
        assert scrubbed.comment is None
    assert ticket(app, waiting.reference).description == "窗户关不严"


def add_followup(app: App, ticket: Ticket, status: FollowUpStatus, **fields: Any) -> None:
    assert ticket.id is not None
    resolved = ticket.updated_at
    with app.uow_factory() as uow:
        uow.followups.add(
            followup=FollowUp(
                id=None,
                ticket_id=ticket.id,
                reference=ticket.reference,
                kind=FollowUpKind.REPAIR,
                status=status,
                resident_id=ticket.resident_id,
                channel=ticket.channel,
                chat_id=ticket.chat_id,
                resolved_at=resolved,
                due_at=resolved,
                window_end=resolved + timedelta(days=3),
                created_at=resolved,
                **fields,
            )
        )
        uow.commit()
