"""The monthly report's reads on each database: tickets received in [start, end), oldest first, and the
whole report computed from them (timestamps compared as aware UTC on both SQLite and PostgreSQL)."""

from __future__ import annotations

from dialogs.reports.delivery import compute_report
from dialogs.reports.period import ReportMonth
from dialogs.site import load_site
from storage.uow import SqlUnitOfWorkFactory
from tests.reports.month import MonthWriter, write_callbacks, write_month


def test_tickets_of_a_month_and_its_report(uow: SqlUnitOfWorkFactory) -> None:
    site = load_site()
    month = ReportMonth.parse("2026-10", site)
    writer = MonthWriter(uow, site)
    writer.add_staff()
    write_month(writer, month)
    followups = write_callbacks(writer, month)
    expected = sorted(
        (s.created, s.ticket.reference)
        for s in writer.stories.values()
        if month.start <= s.created < month.end
    )
    assert any(s.created < month.start for s in writer.stories.values())  # one from September stays out
    with uow() as work:
        found = work.tickets.list_created_between(start=month.start, end=month.end)
        report = compute_report(work, month, site)
    assert [(t.created_at, t.reference) for t in found] == expected
    assert report.tickets == len(expected)
    assert sum(line.handled for line in report.callbacks) == len(followups)
    assert any(flag.kind == "repeated_complaint" for flag in report.flags)
