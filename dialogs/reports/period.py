"""A report month: its bounds on the real time line, and when its report is due.

Months are the site's local months (a complaint at 00:30 Beijing time on the 1st belongs to the new month),
and the report is due on the first working day of the next month by the site's calendar (a holiday on the
1st moves it), at the site's report time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time

from dialogs.calendar import WorkCalendar
from dialogs.site import SiteConfig


@dataclass(frozen=True)
class ReportMonth:
    """A local calendar month with its UTC bounds [start, end)."""

    first_day: date
    start: datetime
    end: datetime

    @property
    def label(self) -> str:
        """`YYYY-MM`, as the command line and file names write it."""
        return f"{self.first_day:%Y-%m}"

    @classmethod
    def of(cls, year: int, month: int, site: SiteConfig) -> ReportMonth:
        """The month `year-month` in the site's zone."""
        first = date(year, month, 1)
        following = date(year + (month == 12), month % 12 + 1, 1)
        zone = site.zone
        return cls(
            first_day=first,
            start=datetime.combine(first, time(0), tzinfo=zone).astimezone(UTC),
            end=datetime.combine(following, time(0), tzinfo=zone).astimezone(UTC),
        )

    @classmethod
    def parse(cls, text: str, site: SiteConfig) -> ReportMonth:
        """Read `YYYY-MM` (ValueError when it is not one)."""
        year, _, month = text.strip().partition("-")
        if not (year.isdigit() and month.isdigit() and len(year) == 4 and 1 <= int(month) <= 12):
            raise ValueError(f"not a month (YYYY-MM): {text!r}")
        return cls.of(int(year), int(month), site)

    def previous(self, site: SiteConfig) -> ReportMonth:
        """The month before this one."""
        year, month = self.first_day.year, self.first_day.month
        return ReportMonth.of(year - (month == 1), (month - 2) % 12 + 1, site)


def month_containing(instant: datetime, site: SiteConfig) -> ReportMonth:
    """The local month an aware instant falls in."""
    local = instant.astimezone(site.zone)
    return ReportMonth.of(local.year, local.month, site)


def first_working_day(month: ReportMonth, site: SiteConfig) -> date:
    """The first day of the month the desk opens (the report of the previous month is due then)."""
    calendar = WorkCalendar.for_site(site)
    day = month.first_day
    return day if calendar.is_working_day(day) else calendar.next_working_day(day)


def report_due_at(month: ReportMonth, site: SiteConfig, at: time) -> datetime:
    """When the report of the month *before* `month` is due: its first working day at local time `at`."""
    return datetime.combine(first_working_day(month, site), at, tzinfo=site.zone).astimezone(UTC)
