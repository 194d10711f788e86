"""The domain records the front desk keeps: households, residents, staff, tickets and their events.

These are plain frozen dataclasses; `storage/` maps them to tables. Changing a record means building a new
one with `dataclasses.replace` and saving it through a repository, and every change of a ticket is also an
appended `TicketEvent` (the audit trail, the promise clock and the reports are computed from events).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any


class TicketType(StrEnum):
    """The letter that starts a ticket reference."""

    REPAIR = "R"
    EMERGENCY = "E"
    COMPLAINT = "C"
    SUGGESTION = "S"
    PRAISE = "P"
    SERVICE_ORDER = "O"
    HUMAN = "H"


class TicketStatus(StrEnum):
    """Where a ticket is in its life."""

    OPEN = "open"
    ACCEPTED = "accepted"
    WAITING_RESIDENT = "waiting_resident"
    RESOLVED = "resolved"
    CLOSED = "closed"
    CANCELLED = "cancelled"

    @property
    def is_active(self) -> bool:
        """Whether somebody still has to act on the ticket."""
        return self in {TicketStatus.OPEN, TicketStatus.ACCEPTED, TicketStatus.WAITING_RESIDENT}


class Priority(StrEnum):
    """Emergencies go first (the manual's 急修)."""

    URGENT = "urgent"
    NORMAL = "normal"


class EventKind(StrEnum):
    """What happened to a ticket."""

    CREATED = "created"
    STATUS_CHANGED = "status_changed"
    NOTE = "note"
    ATTACHMENT = "attachment"
    ASSIGNED = "assigned"
    TRANSFERRED = "transferred"
    STAFF_REPLY = "staff_reply"
    ESCALATED = "escalated"
    REFUSED = "refused"


class StaffRole(StrEnum):
    """Staff roles; what each may do is the staff side's permission matrix."""

    AGENT = "agent"
    TECHNICIAN = "technician"
    SUPERVISOR = "supervisor"
    MANAGER = "manager"


REFERENCE_PATTERN = re.compile(r"^[A-Z]\d{10}$")


REFERENCE_DIGITS = 4
"""The daily sequence's digits at the end of a reference (storage numbers new tickets to this format)."""


def reference_prefix(ticket_type: TicketType, local_day: date) -> str:
    """What a reference starts with: type letter and site-local YYMMDD (`R261127`)."""
    return f"{ticket_type.value}{local_day:%y%m%d}"


def make_reference(ticket_type: TicketType, local_day: date, sequence: int) -> str:
    """Build a reference such as `R2611270001`: type letter, site-local YYMMDD, 4-digit daily sequence."""
    if not 1 <= sequence < 10**REFERENCE_DIGITS:
        raise ValueError(f"daily sequence out of range: {sequence}")
    return f"{reference_prefix(ticket_type, local_day)}{sequence:0{REFERENCE_DIGITS}d}"


@dataclass(frozen=True)
class Household:
    """One home of the estate (一户一档): every request is filed under its household."""

    id: int | None
    room: str
    building: str = ""
    unit: str = ""


@dataclass(frozen=True)
class Resident:
    """A person who talks to the bot through one channel identity."""

    id: int | None
    channel: str
    external_id: int
    display_name: str = ""
    phone: str | None = None
    language: str = "zh"
    household_id: int | None = None
    created_at: datetime | None = None
    # Set when Telegram said the resident blocked the bot (403); read-only here: only
    # `FollowUpRepository.set_reachable` writes it, so saving a resident never clears it by accident.
    unreachable_since: datetime | None = None


@dataclass(frozen=True)
class StaffMember:
    """A registered staff member, identified by their Telegram user id."""

    id: int | None
    telegram_id: int
    name: str
    role: StaffRole
    skills: tuple[str, ...] = ()
    active: bool = True
    on_shift: bool = True


@dataclass(frozen=True)
class Ticket:
    """One request of a resident, from intake to closing."""

    id: int | None
    reference: str
    type: TicketType
    status: TicketStatus
    resident_id: int
    description: str
    created_at: datetime
    updated_at: datetime
    household_id: int | None = None
    location: str = ""
    category: str | None = None
    phone: str | None = None
    preferred_time: datetime | None = None
    priority: Priority = Priority.NORMAL
    language: str = "zh"
    channel: str = "telegram"
    chat_id: int = 0
    photos: tuple[str, ...] = ()
    details: dict[str, str] = field(default_factory=dict)
    queue: str | None = None
    assignee_id: int | None = None
    # The stored version this record was read at; saving a record read before someone else's change is
    # refused (`dialogs.ports.ConcurrentUpdateError`) rather than silently undoing that change.
    version: int = 1


@dataclass(frozen=True)
class TicketEvent:
    """An appended fact about a ticket: who did what, when."""

    id: int | None
    ticket_id: int
    kind: EventKind
    at: datetime
    actor: str
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Conversation:
    """Where a chat's conversation stands; persisted so it survives restarts and works across workers.

    `flow` and `step` are the values of the flows' `StrEnum`s; `slots` holds what was gathered so far
    (JSON-serialisable values only); `version` is the schema version of this record.
    """

    channel: str
    chat_id: int
    flow: str | None = None
    step: str | None = None
    slots: dict[str, Any] = field(default_factory=dict)
    misses: int = 0
    version: int = 1
    updated_at: datetime | None = None
