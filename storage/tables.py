"""The database tables, as SQLModel `table=True` models.

These rows are storage's private shape; the rest of the product sees only the frozen dataclasses of
`dialogs.domain` (the repositories map between the two). Enumerations are stored as their string values
rather than database enums so that adding a status or a ticket type needs no schema migration. Structured
values (photos, details, event data, conversation state, outgoing replies) are JSON columns, never pickles.
The tables have their own metadata with a naming convention so that every constraint has a stable name,
which Alembic needs to alter or drop it later (SQLite batch migrations in particular).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, ClassVar, cast

import sqlalchemy as sa
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel

from storage.types import UTCDateTime

__all__ = [
    "ConversationRow",
    "HouseholdRow",
    "MessageRefRow",
    "OutboxRow",
    "OutboxStatus",
    "ResidentRow",
    "StaffRow",
    "TableBase",
    "TicketEventRow",
    "TicketRow",
    "TicketSequenceRow",
    "table_of",
]

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class TableBase(SQLModel, registry=registry(metadata=sa.MetaData(naming_convention=NAMING_CONVENTION))):
    """Base of the product's tables: a metadata of their own, not SQLModel's shared global one."""


def table_of(model: type[SQLModel]) -> sa.Table:
    """The Core `Table` of a table model, for upserts and bulk updates (SQLModel does not type it)."""
    return cast(sa.Table, getattr(model, "__table__"))  # noqa: B009


class OutboxStatus:
    """Delivery states of an outbox row (plain strings in the column)."""

    PENDING: ClassVar[str] = "pending"
    SENDING: ClassVar[str] = "sending"
    SENT: ClassVar[str] = "sent"
    FAILED: ClassVar[str] = "failed"


def _utc(*, nullable: bool) -> Any:
    """A `Field` stored as aware UTC."""
    return Field(sa_type=UTCDateTime(), nullable=nullable)


def _json(*, nullable: bool = False) -> Any:
    """A `Field` stored as a JSON column."""
    return Field(sa_type=sa.JSON(), nullable=nullable)


def _bigint(*, nullable: bool = False, **kwargs: Any) -> Any:
    """A `Field` wide enough for Telegram chat and user ids (they exceed 32 bits)."""
    return Field(sa_type=sa.BigInteger(), nullable=nullable, **kwargs)


class HouseholdRow(TableBase, table=True):
    """One home (一户一档); the room label is the natural key residents type."""

    __tablename__ = "households"

    id: int | None = Field(default=None, primary_key=True)
    room: str = Field(max_length=64, unique=True)
    building: str = Field(default="", max_length=32)
    unit: str = Field(default="", max_length=32)


class ResidentRow(TableBase, table=True):
    """A channel identity of a resident."""

    __tablename__ = "residents"
    __table_args__ = (sa.UniqueConstraint("channel", "external_id"),)

    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(max_length=16)
    external_id: int = _bigint()
    display_name: str = Field(default="", max_length=128)
    phone: str | None = Field(default=None, max_length=32)
    language: str = Field(default="zh", max_length=8)
    household_id: int | None = Field(default=None, foreign_key="households.id", index=True)
    created_at: datetime | None = _utc(nullable=True)


class StaffRow(TableBase, table=True):
    """A registered staff member."""

    __tablename__ = "staff"

    id: int | None = Field(default=None, primary_key=True)
    telegram_id: int = _bigint(unique=True)
    name: str = Field(max_length=128)
    role: str = Field(max_length=16)
    skills: list[str] = _json()
    active: bool = Field(default=True)
    on_shift: bool = Field(default=True)


class TicketRow(TableBase, table=True):
    """A resident's request; its history lives in `ticket_events`."""

    __tablename__ = "tickets"
    __table_args__ = (
        sa.Index("ix_tickets_resident_id_created_at", "resident_id", "created_at"),
        sa.Index("ix_tickets_status_priority", "status", "priority"),
    )

    id: int | None = Field(default=None, primary_key=True)
    reference: str = Field(max_length=16, unique=True)
    type: str = Field(max_length=1)
    status: str = Field(max_length=24)
    priority: str = Field(max_length=16)
    resident_id: int = Field(foreign_key="residents.id")
    household_id: int | None = Field(default=None, foreign_key="households.id", index=True)
    location: str = Field(default="", max_length=255)
    category: str | None = Field(default=None, max_length=64)
    description: str = Field(sa_type=sa.Text())
    phone: str | None = Field(default=None, max_length=32)
    preferred_time: datetime | None = _utc(nullable=True)
    language: str = Field(max_length=8)
    channel: str = Field(max_length=16)
    chat_id: int = _bigint()
    photos: list[str] = _json()
    details: dict[str, str] = _json()
    created_at: datetime = _utc(nullable=False)
    updated_at: datetime = _utc(nullable=False)
    queue: str | None = Field(default=None, max_length=64, index=True)
    assignee_id: int | None = Field(default=None, foreign_key="staff.id", index=True)


class TicketEventRow(TableBase, table=True):
    """An appended fact about a ticket; rows are never updated or deleted."""

    __tablename__ = "ticket_events"

    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="tickets.id", index=True)
    kind: str = Field(max_length=32)
    at: datetime = _utc(nullable=False)
    actor: str = Field(max_length=64)
    data: dict[str, Any] = _json()


class TicketSequenceRow(TableBase, table=True):
    """The last daily sequence number taken per ticket type (references restart every day)."""

    __tablename__ = "ticket_sequences"

    type: str = Field(max_length=1, primary_key=True)
    day: date = Field(primary_key=True)
    last: int


class ConversationRow(TableBase, table=True):
    """Where a chat's conversation stands; `state` is versioned JSON (see `storage.codec`)."""

    __tablename__ = "conversations"

    channel: str = Field(max_length=16, primary_key=True)
    chat_id: int = _bigint(primary_key=True, sa_column_kwargs={"autoincrement": False})
    state: dict[str, Any] = _json()
    updated_at: datetime | None = _utc(nullable=True)


class OutboxRow(TableBase, table=True):
    """An outgoing message; `payload` is the serialised `Reply` and key (see `storage.codec`)."""

    __tablename__ = "outbox"
    __table_args__ = (
        sa.Index("ix_outbox_channel_status_available_at", "channel", "status", "available_at"),
        # the per-chat order check looks for older unsent rows of the same chat
        sa.Index("ix_outbox_channel_chat_id_status", "channel", "chat_id", "status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(max_length=16)
    chat_id: int = _bigint()
    audience: str = Field(max_length=32)
    payload: dict[str, Any] = _json()
    status: str = Field(max_length=16)
    attempts: int = Field(default=0)
    available_at: datetime = _utc(nullable=False)
    lease_until: datetime | None = _utc(nullable=True)
    created_at: datetime = _utc(nullable=False)
    sent_at: datetime | None = _utc(nullable=True)
    last_error: str | None = Field(default=None, sa_type=sa.Text())


class MessageRefRow(TableBase, table=True):
    """The channel message that currently shows a keyed outgoing message (see `Outgoing.key`)."""

    __tablename__ = "message_refs"

    channel: str = Field(max_length=16, primary_key=True)
    chat_id: int = _bigint(primary_key=True, sa_column_kwargs={"autoincrement": False})
    key: str = Field(max_length=128, primary_key=True)
    message_id: int = _bigint()
    updated_at: datetime = _utc(nullable=False)


class ScheduleMarkRow(TableBase, table=True):
    """The last occurrence of a recurring job that some worker claimed (daily digest …)."""

    __tablename__ = "schedule_marks"

    name: str = Field(max_length=64, primary_key=True)
    last_at: datetime = _utc(nullable=False)
