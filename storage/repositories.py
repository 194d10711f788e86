"""All repository implementations in one import, for the unit of work and for tests."""

from __future__ import annotations

from storage.repos_conversations import SqlConversationRepository
from storage.repos_followups import SqlFollowUpRepository
from storage.repos_message_refs import SqlMessageRefRepository
from storage.repos_outbox import SqlOutboxRepository, StoredMessage
from storage.repos_people import SqlHouseholdRepository, SqlResidentRepository, SqlStaffRepository
from storage.repos_records import SqlRecordsRepository
from storage.repos_schedule_marks import SqlScheduleMarkRepository
from storage.repos_surveys import SqlSurveyRepository
from storage.repos_tickets import SqlTicketRepository
from storage.repos_updates import SqlChatLocks, SqlProcessedUpdateRepository

__all__ = [
    "SqlChatLocks",
    "SqlConversationRepository",
    "SqlFollowUpRepository",
    "SqlHouseholdRepository",
    "SqlMessageRefRepository",
    "SqlOutboxRepository",
    "SqlProcessedUpdateRepository",
    "SqlRecordsRepository",
    "SqlResidentRepository",
    "SqlScheduleMarkRepository",
    "SqlStaffRepository",
    "SqlSurveyRepository",
    "SqlTicketRepository",
    "StoredMessage",
]
