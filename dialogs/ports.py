"""The Protocols through which the dialog core talks to storage and the outside world.

`storage/` implements them with SQLModel; tests may implement them in memory. Repositories take
keyword-only arguments and never commit: the unit of work commits, so a ticket, its events, the
conversation state and the outgoing messages of one incoming message are stored together or not at all.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from types import TracebackType
from typing import Protocol, Self

from dialogs.clock import Clock
from dialogs.domain import (
    Conversation,
    Household,
    Resident,
    StaffMember,
    Ticket,
    TicketEvent,
    TicketType,
)
from dialogs.messages import Outgoing

__all__ = [
    "Clock",
    "ConversationRepository",
    "HouseholdRepository",
    "MessageRefRepository",
    "OutboxRepository",
    "PendingMessage",
    "ResidentRepository",
    "StaffRepository",
    "TicketRepository",
    "UnitOfWork",
    "UnitOfWorkFactory",
]


class HouseholdRepository(Protocol):
    """Households of the estate."""

    def get(self, *, household_id: int) -> Household | None: ...

    def get_or_create(self, *, room: str, building: str = "", unit: str = "") -> Household: ...

    def find(self, *, room: str) -> Household | None:
        """The household with this room key (see `dialogs.rooms.RoomAddress.key`)."""
        ...


class ResidentRepository(Protocol):
    """Residents and their channel identities."""

    def get(self, *, resident_id: int) -> Resident | None: ...

    def find(self, *, channel: str, external_id: int) -> Resident | None: ...

    def find_or_create(self, *, resident: Resident) -> Resident:
        """The stored resident with `resident`'s channel identity, inserting it when new (race-safe)."""
        ...

    def list_for_household(self, *, household_id: int) -> Sequence[Resident]: ...

    def save(self, *, resident: Resident) -> Resident:
        """Insert (id None) or update; returns the stored record with its id."""
        ...


class StaffRepository(Protocol):
    """The staff registry."""

    def get(self, *, staff_id: int) -> StaffMember | None: ...

    def find(self, *, telegram_id: int) -> StaffMember | None: ...

    def save(self, *, member: StaffMember) -> StaffMember: ...

    def list(self, *, active_only: bool = True) -> Sequence[StaffMember]: ...


class TicketRepository(Protocol):
    """Tickets and their append-only event log."""

    def next_sequence(self, *, ticket_type: TicketType, day: date) -> int:
        """Atomically take the next daily sequence number for a reference."""
        ...

    def save(self, *, ticket: Ticket) -> Ticket: ...

    def get(self, *, reference: str) -> Ticket | None: ...

    def list_for_resident(self, *, resident_id: int, limit: int = 20) -> Sequence[Ticket]: ...

    def list_for_household(self, *, household_id: int) -> Sequence[Ticket]:
        """Every ticket filed under the household, oldest first (the household file, 一户一档)."""
        ...

    def list_active(self, *, queue: str | None = None) -> Sequence[Ticket]:
        """Tickets someone still has to act on (open, accepted, waiting), oldest first."""
        ...

    def append_event(self, *, event: TicketEvent) -> TicketEvent: ...

    def events(self, *, ticket_id: int) -> Sequence[TicketEvent]: ...


class ConversationRepository(Protocol):
    """Conversation state per (channel, chat)."""

    def load(self, *, channel: str, chat_id: int) -> Conversation | None: ...

    def save(self, *, conversation: Conversation) -> None: ...


class PendingMessage(Protocol):
    """An outbox row waiting to be delivered."""

    @property
    def id(self) -> int: ...

    @property
    def message(self) -> Outgoing: ...

    @property
    def attempts(self) -> int: ...


class OutboxRepository(Protocol):
    """Outgoing messages, written in the same transaction as the change that caused them."""

    def enqueue(self, *, message: Outgoing, now: datetime) -> int: ...

    def claim(
        self, *, channel: str, now: datetime, limit: int, lease_seconds: int = 60
    ) -> Sequence[PendingMessage]:
        """Atomically take due rows for delivery (two senders never take the same row)."""
        ...

    def mark_sent(self, *, message_id: int, now: datetime) -> None: ...

    def mark_failed(self, *, message_id: int, now: datetime, error: str, retry_at: datetime | None) -> None:
        """Record a failed attempt; `retry_at` None means give up."""
        ...


class MessageRefRepository(Protocol):
    """Which channel message currently shows a keyed `Outgoing` (see `Outgoing.key`).

    The sender reads it to edit that message instead of sending a new one, and writes it in the same
    transaction as `mark_sent`, so the stored id always belongs to a delivered message.
    """

    def get(self, *, channel: str, chat_id: int, key: str) -> int | None:
        """The channel's id of the message last delivered under this key, or None if there is none."""
        ...

    def put(self, *, channel: str, chat_id: int, key: str, message_id: int, now: datetime) -> None:
        """Remember (create or replace) the message now showing this key."""
        ...


class ScheduleMarkRepository(Protocol):
    """Marks for recurring jobs (a daily digest): claimed atomically so one worker runs each occurrence."""

    def claim(self, *, name: str, due_at: datetime) -> bool:
        """True for exactly one caller per (name, due_at) once due_at is past the last claimed mark."""
        ...


class UnitOfWork(Protocol):
    """One transaction over all repositories."""

    households: HouseholdRepository
    residents: ResidentRepository
    staff: StaffRepository
    tickets: TicketRepository
    conversations: ConversationRepository
    outbox: OutboxRepository
    message_refs: MessageRefRepository
    schedule_marks: ScheduleMarkRepository

    def __enter__(self) -> Self: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Roll back whatever was not committed."""
        ...

    def commit(self) -> None: ...


class UnitOfWorkFactory(Protocol):
    """Opens a new unit of work."""

    def __call__(self) -> UnitOfWork: ...
