"""Fixed-time builders for the promise-clock tests: a Monday-to-Friday site in Shanghai (UTC+8)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from dialogs.domain import EventKind, Ticket, TicketEvent, TicketStatus, TicketType
from dialogs.site import OfficeHours, SiteConfig, load_site

SHANGHAI = ZoneInfo("Asia/Shanghai")
WEEKDAYS = (1, 2, 3, 4, 5)


def local(day: str, hour: int = 0, minute: int = 0) -> datetime:
    """A Shanghai wall time such as local("2026-11-27", 17, 20) (a Friday)."""
    return datetime.combine(date.fromisoformat(day), time(hour, minute), tzinfo=SHANGHAI)


def site(
    *,
    weekdays: tuple[int, ...] = WEEKDAYS,
    start: time = time(8, 30),
    end: time = time(17, 30),
    holidays: tuple[date, ...] = (),
    workdays_extra: tuple[date, ...] = (),
) -> SiteConfig:
    """The packaged site with the office calendar under test (the packaged holiday list left out)."""
    return load_site().model_copy(
        update={
            "office_hours": OfficeHours(start=start, end=end, weekdays=weekdays),
            "holidays": holidays,
            "workdays_extra": workdays_extra,
        }
    )


def ticket(
    kind: TicketType,
    created: datetime,
    *,
    category: str | None = None,
    preferred_time: datetime | None = None,
) -> Ticket:
    """A fresh ticket received at `created`."""
    return Ticket(
        id=1,
        reference=f"{kind.value}2611270001",
        type=kind,
        status=TicketStatus.OPEN,
        resident_id=1,
        description="test",
        created_at=created.astimezone(UTC),
        updated_at=created.astimezone(UTC),
        category=category,
        preferred_time=preferred_time,
    )


def status(at: datetime, to: TicketStatus) -> TicketEvent:
    """A status change event."""
    return TicketEvent(
        id=None, ticket_id=1, kind=EventKind.STATUS_CHANGED, at=at, actor="staff:1", data={"to": to}
    )


def note(at: datetime, **data: Any) -> TicketEvent:
    """A note event carrying `data`."""
    return TicketEvent(id=None, ticket_id=1, kind=EventKind.NOTE, at=at, actor="staff:1", data=dict(data))


def staff_reply(at: datetime, **data: Any) -> TicketEvent:
    """A staff member's message to the resident, as the staff desk records it."""
    return TicketEvent(
        id=None, ticket_id=1, kind=EventKind.STAFF_REPLY, at=at, actor="staff:1", data=dict(data)
    )
