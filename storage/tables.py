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
    "OUTBOX_OPEN",
    "OUTBOX_OPEN_STATUSES",
    "ConversationRow",
    "FollowUpRow",
    "HouseholdRow",
    "MessageRefRow",
    "OutboxRow",
    "OutboxStatus",
    "ProcessedUpdateRow",
    "ResidentRow",
    "StaffRow",
    "SurveyAnswerRow",
    "SurveyCampaignRow",
    "SurveyDeliveryRow",
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
    UNKNOWN: ClassVar[str] = "unknown"  # an at-most-once row whose sender died mid-send: reviewed by a person


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
    # Set by the retention job when the person's data was removed (see `dialogs.records.retention`).
    anonymised_at: datetime | None = _utc(nullable=True)
    # Set when the chat answered "blocked" (Telegram 403); cleared when the resident writes again.
    unreachable_since: datetime | None = _utc(nullable=True)


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
    # Set by the retention job when the ticket's personal data was removed (see `dialogs.records.retention`).
    anonymised_at: datetime | None = _utc(nullable=True)
    # Raised by every update; an update names the version it read (see `SqlTicketRepository.save`).
    version: int = Field(default=1, sa_column_kwargs={"server_default": "1"})


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


# Open outbox rows, as SQL text: the partial index below and the claim's query must spell it the same way
# (SQLite uses a partial index only for a query containing its condition verbatim).
OUTBOX_OPEN_STATUSES = (OutboxStatus.PENDING, OutboxStatus.SENDING)
OUTBOX_OPEN = "status IN ({})".format(", ".join(f"'{status}'" for status in OUTBOX_OPEN_STATUSES))
_OPEN = sa.text(OUTBOX_OPEN)


class OutboxRow(TableBase, table=True):
    """An outgoing message; `payload` is the serialised `Reply` and key (see `storage.codec`)."""

    __tablename__ = "outbox"
    __table_args__ = (
        sa.Index("ix_outbox_channel_status_available_at", "channel", "status", "available_at"),
        # the per-chat order check looks for older unsent rows of the same chat
        sa.Index("ix_outbox_channel_chat_id_status", "channel", "chat_id", "status"),
        # The sender's claim walks the open rows in id order and stops at its limit, however long the
        # backlog (and however many sent rows are kept as the record); for each, PostgreSQL looks up an
        # older open row of its chat in the second (SQLite prefers the status index above). Without the
        # second, PostgreSQL's planner, before its statistics caught up with a fast-growing backlog, chose
        # the first for that look-up too: a scan per row.
        sa.Index("ix_outbox_open", "channel", "id", sqlite_where=_OPEN, postgresql_where=_OPEN),
        sa.Index(
            "ix_outbox_open_chat", "channel", "chat_id", "id", sqlite_where=_OPEN, postgresql_where=_OPEN
        ),
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
    # At-most-once messages (`Outgoing.once`): an expired lease means "maybe sent", reviewed, never re-sent.
    once_key: str | None = Field(default=None, max_length=64)


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


class ProcessedUpdateRow(TableBase, table=True):
    """A channel update already handled (Telegram's `update_id`), recorded with the update's effects."""

    __tablename__ = "processed_updates"
    __table_args__ = (sa.Index("ix_processed_updates_processed_at", "processed_at"),)

    channel: str = Field(max_length=16, primary_key=True)
    update_id: int = _bigint(primary_key=True, sa_column_kwargs={"autoincrement": False})
    processed_at: datetime = _utc(nullable=False)


class SurveyCampaignRow(TableBase, table=True):
    """A satisfaction survey round; `dimensions` is the list of dimension keys it asks (JSON)."""

    __tablename__ = "survey_campaigns"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=128)
    status: str = Field(max_length=16, index=True)
    dimensions: list[str] = _json()
    rate_per_minute: int
    reminder_days: int
    building: str | None = Field(default=None, max_length=32)
    sample_share: float | None = Field(default=None)
    seed: int = _bigint()
    created_at: datetime = _utc(nullable=False)
    started_at: datetime | None = _utc(nullable=True)
    closed_at: datetime | None = _utc(nullable=True)


class SurveyDeliveryRow(TableBase, table=True):
    """One household's form in a campaign; the status index serves the sender's claim."""

    __tablename__ = "survey_deliveries"
    __table_args__ = (
        sa.UniqueConstraint("campaign_id", "household_id"),
        sa.Index("ix_survey_deliveries_campaign_id_status", "campaign_id", "status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="survey_campaigns.id")
    household_id: int = Field(foreign_key="households.id")
    status: str = Field(max_length=16)
    sent_at: datetime | None = _utc(nullable=True)
    reminded_at: datetime | None = _utc(nullable=True)
    completed_at: datetime | None = _utc(nullable=True)
    finished_at: datetime | None = _utc(nullable=True)
    comment: str | None = Field(default=None, sa_type=sa.Text())


class SurveyAnswerRow(TableBase, table=True):
    """A rating; unique per (form, dimension), which is what makes a second press count once."""

    __tablename__ = "survey_answers"
    __table_args__ = (sa.UniqueConstraint("delivery_id", "dimension"),)

    id: int | None = Field(default=None, primary_key=True)
    delivery_id: int = Field(foreign_key="survey_deliveries.id")
    dimension: str = Field(max_length=16)
    score: int
    resident_id: int | None = Field(default=None, foreign_key="residents.id")
    answered_at: datetime = _utc(nullable=False)


class FollowUpRow(TableBase, table=True):
    """A callback follow-up (回访) of a resolved ticket, sampled or not (see `dialogs.followup.records`)."""

    __tablename__ = "followups"
    __table_args__ = (
        sa.UniqueConstraint("ticket_id"),
        # the claims look for rows of one status by their due, asked or reminded time
        sa.Index("ix_followups_status_due_at", "status", "due_at", "id"),
        sa.Index("ix_followups_channel_chat_id_status", "channel", "chat_id", "status"),
        sa.Index("ix_followups_resolved_at", "resolved_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="tickets.id")
    reference: str = Field(max_length=16)
    kind: str = Field(max_length=32)
    status: str = Field(max_length=16)
    resident_id: int = Field(foreign_key="residents.id")
    channel: str = Field(max_length=16)
    chat_id: int = _bigint()
    resolved_at: datetime = _utc(nullable=False)
    due_at: datetime | None = _utc(nullable=True)
    window_end: datetime = _utc(nullable=False)
    created_at: datetime = _utc(nullable=False)
    sent_at: datetime | None = _utc(nullable=True)
    reminded_at: datetime | None = _utc(nullable=True)
    answered_at: datetime | None = _utc(nullable=True)
    phone_at: datetime | None = _utc(nullable=True)
    phone_reason: str | None = Field(default=None, max_length=32)
    phone_result: str | None = Field(default=None, max_length=32)
    rating: int | None = Field(default=None)
    solved: bool | None = Field(default=None)
    comment: str = Field(default="", sa_type=sa.Text())
    late: bool = Field(default=False)
    complaint_reference: str | None = Field(default=None, max_length=16)
