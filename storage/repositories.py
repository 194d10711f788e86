"""All repository implementations in one import, for the unit of work and for tests."""

from __future__ import annotations

from storage.repos_conversations import SqlConversationRepository
from storage.repos_message_refs import SqlMessageRefRepository
from storage.repos_outbox import SqlOutboxRepository, StoredMessage
from storage.repos_people import SqlHouseholdRepository, SqlResidentRepository, SqlStaffRepository
from storage.repos_schedule_marks import SqlScheduleMarkRepository
from storage.repos_tickets import SqlTicketRepository

__all__ = [
    "SqlConversationRepository",
    "SqlHouseholdRepository",
    "SqlMessageRefRepository",
    "SqlOutboxRepository",
    "SqlResidentRepository",
    "SqlScheduleMarkRepository",
    "SqlStaffRepository",
    "SqlTicketRepository",
    "StoredMessage",
]
