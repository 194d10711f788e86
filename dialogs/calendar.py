"""Working-time arithmetic for a site: office hours, working weekdays, public holidays and make-up days.

Promises such as "accepted within 30 minutes" count only the time the front desk is staffed, so a report
sent at 22:00 is not late at 22:31. China also moves working days around public holidays (调休): a holiday
closes an ordinary working day and a make-up day (补班) opens an ordinary day off; both come from the site
file. Everything here is pure: instants go in and come out timezone-aware (results in UTC), because the
shift boundaries are local wall times but durations must be measured on the real time line.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from dialogs.site import SiteConfig

# Search horizon for the next shift: a calendar without any office time for this long is a configuration
# mistake, and failing loudly beats looping forever.
_MAX_IDLE_DAYS = 400


@dataclass(frozen=True)
class WorkCalendar:
    """When a site's front desk is staffed.

    A shift belongs to the local day it starts on; when `end` is not after `start` the shift runs past
    midnight (a night desk), and `start == end` means the desk is staffed round the clock on that day.
    """

    zone: ZoneInfo
    start: time
    end: time
    weekdays: frozenset[int]
    holidays: frozenset[date] = frozenset()
    workdays_extra: frozenset[date] = frozenset()

    @classmethod
    def for_site(cls, site: SiteConfig) -> WorkCalendar:
        """The calendar a site file describes."""
        hours = site.office_hours
        return cls(
            zone=site.zone,
            start=hours.start,
            end=hours.end,
            weekdays=frozenset(hours.weekdays),
            holidays=frozenset(site.holidays),
            workdays_extra=frozenset(site.workdays_extra),
        )

    def is_working_day(self, day: date) -> bool:
        """Whether the desk opens on this local day; a make-up day wins over everything else."""
        if day in self.workdays_extra:
            return True
        if day in self.holidays:
            return False
        return day.isoweekday() in self.weekdays

    def shift(self, day: date) -> tuple[datetime, datetime] | None:
        """The office time that starts on this local day, as UTC bounds, or None on a day off."""
        if not self.is_working_day(day):
            return None
        ends_next_day = self.end <= self.start
        opens = datetime.combine(day, self.start, tzinfo=self.zone)
        closes = datetime.combine(
            day + timedelta(days=1) if ends_next_day else day, self.end, tzinfo=self.zone
        )
        return opens.astimezone(UTC), closes.astimezone(UTC)

    def next_working_day(self, day: date) -> date:
        """The first working day after `day`."""
        for offset in range(1, _MAX_IDLE_DAYS + 1):
            candidate = day + timedelta(days=offset)
            if self.is_working_day(candidate):
                return candidate
        raise ValueError(f"no working day within {_MAX_IDLE_DAYS} days after {day}: check the site calendar")

    def local_day(self, instant: datetime) -> date:
        """The site-local date of an aware instant."""
        return _utc(instant).astimezone(self.zone).date()


def _utc(instant: datetime) -> datetime:
    if instant.tzinfo is None:
        raise ValueError("working-time arithmetic needs aware datetimes")
    return instant.astimezone(UTC)


def _shifts_from(calendar: WorkCalendar, instant: datetime) -> Iterator[tuple[datetime, datetime]]:
    """The office time after `instant`, shift by shift, the first one clipped to start at `instant`.

    Starts one day early because yesterday's night shift may still be running.
    """
    day = calendar.local_day(instant) - timedelta(days=1)
    idle = 0
    while idle < _MAX_IDLE_DAYS:
        bounds = calendar.shift(day)
        day += timedelta(days=1)
        if bounds is None:
            idle += 1
            continue
        idle = 0
        opens, closes = bounds
        if closes > instant:
            yield max(opens, instant), closes
    raise ValueError(f"no office time within {_MAX_IDLE_DAYS} days after {instant}: check the site calendar")


def add_working_time(calendar: WorkCalendar, start: datetime, amount: timedelta) -> datetime:
    """The instant when `amount` of office time has passed since `start` (UTC).

    A zero amount returns `start` itself, even outside office hours: nothing has to pass.
    """
    if amount < timedelta(0):
        raise ValueError("cannot add negative working time")
    begin = _utc(start)
    if amount == timedelta(0):
        return begin
    remaining = amount
    for opens, closes in _shifts_from(calendar, begin):
        available = closes - opens
        if remaining <= available:
            return opens + remaining
        remaining -= available
    raise AssertionError("unreachable: _shifts_from never ends without raising")  # pragma: no cover


def working_time_between(calendar: WorkCalendar, start: datetime, end: datetime) -> timedelta:
    """Office time from `start` to `end`; negative when `end` is earlier, like subtracting datetimes."""
    begin, finish = _utc(start), _utc(end)
    if finish < begin:
        return -working_time_between(calendar, finish, begin)
    total = timedelta(0)
    for opens, closes in _shifts_from(calendar, begin):
        if opens >= finish:
            break
        total += min(closes, finish) - opens
    return total


def add_working_minutes(calendar: WorkCalendar, start: datetime, minutes: float) -> datetime:
    """`add_working_time` counted in minutes, the unit the site's promises use."""
    return add_working_time(calendar, start, timedelta(minutes=minutes))


def working_minutes_between(calendar: WorkCalendar, start: datetime, end: datetime) -> float:
    """`working_time_between` in minutes."""
    return working_time_between(calendar, start, end) / timedelta(minutes=1)
