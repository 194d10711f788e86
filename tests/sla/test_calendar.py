"""Working-time arithmetic: office time stops over nights, weekends and holidays, and runs on make-up days."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dialogs.calendar import (
    WorkCalendar,
    add_working_minutes,
    add_working_time,
    working_minutes_between,
    working_time_between,
)
from dialogs.site import SiteConfigError, load_site, parse_site
from tests.sla.builders import SHANGHAI, local, site

OFFICE = WorkCalendar.for_site(site())


def test_minutes_inside_one_shift() -> None:
    assert add_working_minutes(OFFICE, local("2026-11-27", 10), 30) == local("2026-11-27", 10, 30)


def test_minutes_carry_over_the_weekend() -> None:
    # Friday 17:20 has 10 minutes left; the other 20 come on Monday morning.
    assert add_working_minutes(OFFICE, local("2026-11-27", 17, 20), 30) == local("2026-11-30", 8, 50)


def test_a_night_report_starts_counting_when_the_desk_opens() -> None:
    assert add_working_minutes(OFFICE, local("2026-11-26", 22), 30) == local("2026-11-27", 9)


def test_ending_exactly_at_closing_time_stays_on_that_day() -> None:
    assert add_working_minutes(OFFICE, local("2026-11-27", 17), 30) == local("2026-11-27", 17, 30)


def test_zero_minutes_is_the_start_itself() -> None:
    assert add_working_minutes(OFFICE, local("2026-11-28", 3), 0) == local("2026-11-28", 3)


def test_a_holiday_closes_a_working_day() -> None:
    calendar = WorkCalendar.for_site(site(holidays=(date(2026, 11, 26),)))
    assert add_working_minutes(calendar, local("2026-11-25", 17, 20), 30) == local("2026-11-27", 8, 50)


def test_a_make_up_day_opens_a_day_off() -> None:
    calendar = WorkCalendar.for_site(site(workdays_extra=(date(2026, 11, 28),)))
    assert add_working_minutes(calendar, local("2026-11-27", 17, 20), 30) == local("2026-11-28", 8, 50)


def test_minutes_between_skip_nights_and_weekends() -> None:
    friday, monday = local("2026-11-27", 17), local("2026-11-30", 9)
    assert working_minutes_between(OFFICE, friday, monday) == 60
    assert working_minutes_between(OFFICE, monday, friday) == -60
    assert working_minutes_between(OFFICE, local("2026-11-28", 9), local("2026-11-29", 17)) == 0


def test_a_night_shift_belongs_to_the_day_it_starts() -> None:
    night = WorkCalendar.for_site(site(start=time(20), end=time(8)))
    # Friday's shift runs until Saturday 08:00; Saturday and Sunday have none, so Monday 20:00 is next.
    assert add_working_minutes(night, local("2026-11-28", 7, 50), 30) == local("2026-11-30", 20, 20)
    assert working_minutes_between(night, local("2026-11-27", 19), local("2026-11-28", 9)) == 12 * 60


def test_equal_start_and_end_means_round_the_clock() -> None:
    always = WorkCalendar.for_site(site(start=time(0), end=time(0)))
    assert working_minutes_between(always, local("2026-11-27"), local("2026-11-30", 6)) == 24 * 60 + 6 * 60


def test_durations_are_measured_on_the_real_time_line() -> None:
    # Berlin skips 02:00-03:00 on 2026-03-29, so a 01:00-04:00 shift lasts two real hours.
    berlin = WorkCalendar(ZoneInfo("Europe/Berlin"), time(1), time(4), frozenset(range(1, 8)))
    day_start = datetime(2026, 3, 29, tzinfo=ZoneInfo("Europe/Berlin"))
    assert working_time_between(berlin, day_start, day_start + timedelta(hours=12)) == timedelta(hours=2)


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        add_working_minutes(OFFICE, datetime(2026, 11, 27, 10), 5)
    with pytest.raises(ValueError, match="negative"):
        add_working_minutes(OFFICE, local("2026-11-27", 10), -1)


@settings(max_examples=60, deadline=None)
@given(
    start=st.datetimes(
        min_value=datetime(2026, 1, 1), max_value=datetime(2026, 12, 31), timezones=st.just(SHANGHAI)
    ),
    minutes=st.integers(min_value=1, max_value=5 * 24 * 60),
)
def test_adding_then_measuring_gives_the_same_minutes(start: datetime, minutes: int) -> None:
    calendar = WorkCalendar.for_site(
        site(holidays=(date(2026, 5, 1), date(2026, 5, 4)), workdays_extra=(date(2026, 5, 9),))
    )
    due = add_working_time(calendar, start, timedelta(minutes=minutes))
    assert due.tzinfo is UTC and due > start
    assert working_time_between(calendar, start, due) == timedelta(minutes=minutes)


def test_the_packaged_site_is_staffed_every_day_holidays_included() -> None:
    packaged = load_site()
    assert packaged.holidays == () and packaged.workdays_extra == ()
    assert WorkCalendar.for_site(packaged).is_working_day(date(2026, 10, 1))


def test_a_day_cannot_be_both_holiday_and_make_up_day() -> None:
    data = load_site().model_dump(mode="json")
    data["holidays"], data["workdays_extra"] = ["2026-10-10"], ["2026-10-10"]
    with pytest.raises(SiteConfigError, match="workdays_extra"):
        parse_site(data, "site.yaml")
