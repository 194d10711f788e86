"""Delivering last month's report to the managers on the first working day of the month.

A periodic job of the ticker: once the first working day of a month has reached the report time (site
calendar, local time), the first tick claims that occurrence as a schedule mark, so exactly one worker
builds the previous month's report, and queues three messages to every manager (staff with the manager
role): the summary, the chart as a photo and the spreadsheet as a document. Drawing and writing files is
the shell's business, so the job is given a `ReportRenderer` by the composition root.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Protocol

from dialogs.i18n import Catalog
from dialogs.messages import ChannelName, Outgoing, OutgoingFile, Reply
from dialogs.ports import UnitOfWork
from dialogs.reports.loader import load_month
from dialogs.reports.monthly import MonthlyReport, build_report
from dialogs.reports.period import ReportMonth, month_containing, report_due_at
from dialogs.routing import managers
from dialogs.site import SiteConfig

log = logging.getLogger(__name__)

REPORT_MARK = "monthly-report"
DEFAULT_SEND_AT = time(9, 0)
# A report missed on its day (the bot was down) is still sent within this long; later it would be noise,
# and a first start in the middle of a month does not send last month's report out of the blue.
CATCH_UP = timedelta(days=7)


@dataclass(frozen=True)
class RenderedReport:
    """The files a renderer wrote for a report, and the summary text to send with them."""

    summary: str
    chart: OutgoingFile
    sheet: OutgoingFile


class ReportRenderer(Protocol):
    """Writes a report's chart and spreadsheet (the shell implements it: `bot.reports.files`)."""

    def render(self, report: MonthlyReport, lang: str) -> RenderedReport: ...


def compute_report(
    uow: UnitOfWork, month: ReportMonth, site: SiteConfig, as_of: datetime | None = None
) -> MonthlyReport:
    """The report of `month` from what the repositories hold (callbacks judged as they stand at `as_of`)."""
    return build_report(load_month(uow, month, as_of), site)


class MonthlyReportJob:
    """Sends last month's report to the managers once, on the first working day of the month."""

    name = "monthly-report"

    def __init__(
        self,
        *,
        site: SiteConfig,
        catalog: Catalog,
        channel: ChannelName,
        renderer: ReportRenderer,
        send_at: time = DEFAULT_SEND_AT,
    ) -> None:
        self._site = site
        self._catalog = catalog
        self._channel = channel
        self._renderer = renderer
        self._send_at = send_at

    def due_at(self, now: datetime) -> datetime:
        """When the report of the month before `now`'s month is (or was) due."""
        return report_due_at(month_containing(now, self._site), self._site, self._send_at)

    def run(self, uow: UnitOfWork, now: datetime) -> list[Outgoing]:
        """Build and queue the report when it is due and nobody has yet."""
        due = self.due_at(now)
        if not due <= now < due + CATCH_UP:
            return []
        # Without a manager nothing is claimed: one registered later in the catch-up week still gets it.
        readers = managers(list(uow.staff.list(active_only=True)))
        if not readers or not uow.schedule_marks.claim(name=REPORT_MARK, due_at=due):
            return []
        month = month_containing(now, self._site).previous(self._site)
        lang = self._site.default_language
        rendered = self._renderer.render(compute_report(uow, month, self._site, now), lang)
        chart_caption = self._catalog.t(lang, "report.caption.chart", month=month.label)
        sheet_caption = self._catalog.t(lang, "report.caption.sheet", month=month.label)
        messages: list[Outgoing] = []
        for member in readers:
            for reply in (
                Reply(text=rendered.summary),
                Reply(text=chart_caption, file=rendered.chart),
                Reply(text=sheet_caption, file=rendered.sheet),
            ):
                messages.append(
                    Outgoing(channel=self._channel, chat_id=member.telegram_id, reply=reply, audience="staff")
                )
        log.info("monthly report queued", extra={"month": month.label, "managers": len(readers)})
        return messages


__all__ = [
    "REPORT_MARK",
    "MonthlyReportJob",
    "RenderedReport",
    "ReportRenderer",
    "compute_report",
]
