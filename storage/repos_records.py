"""The records repository: whole-table reads for the archive and /mydata, and the retention job's writes.

The retention writes overwrite in place and stamp `anonymised_at`; they never delete tickets or events, so
whatever the reports count (tickets by type, queue, status and time; events such as status changes) stays
the same. Only records that hold nothing but personal content (conversation states, delivered outgoing
messages, message references) are deleted once old.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import and_, delete, exists, or_, update
from sqlmodel import Session, col, select

from dialogs.domain import Household, Resident, Ticket, TicketEvent, TicketStatus
from dialogs.followup.records import FollowUpStatus

# The row-to-record mappers are shared with the repositories that own those tables, so a record reads the
# same whichever repository returns it.
from storage.repos_people import SqlResidentRepository
from storage.repos_people import _household as household_record
from storage.repos_people import _resident as resident_record
from storage.repos_tickets import SqlTicketRepository
from storage.repos_tickets import _event as event_record
from storage.repos_tickets import _ticket as ticket_record
from storage.tables import (
    ConversationRow,
    FollowUpRow,
    HouseholdRow,
    MessageRefRow,
    OutboxRow,
    OutboxStatus,
    ResidentRow,
    SurveyDeliveryRow,
    TicketEventRow,
    TicketRow,
)

__all__ = ["SqlRecordsRepository"]

_FINISHED = (TicketStatus.RESOLVED.value, TicketStatus.CLOSED.value, TicketStatus.CANCELLED.value)
# A callback still to be asked, answered or phoned keeps its ticket's data until it is done.
_FOLLOWUP_OPEN = tuple(
    status.value
    for status in (
        FollowUpStatus.SCHEDULED,
        FollowUpStatus.ASKED,
        FollowUpStatus.REMINDED,
        FollowUpStatus.PHONE,
    )
)


class SqlRecordsRepository:
    """Implements `dialogs.ports.RecordsRepository` over one session."""

    def __init__(self, session: Session) -> None:
        self._session = session

    # -- reads -----------------------------------------------------------------------------------------------

    def tickets_created(self, *, start: datetime, end: datetime) -> Sequence[Ticket]:
        statement = (
            select(TicketRow)
            .where(col(TicketRow.created_at) >= start, col(TicketRow.created_at) < end)
            .order_by(col(TicketRow.created_at), col(TicketRow.id))
        )
        return [ticket_record(row) for row in self._session.exec(statement)]

    def events_between(self, *, start: datetime, end: datetime) -> Sequence[tuple[str, TicketEvent]]:
        statement = (
            select(TicketEventRow, TicketRow.reference)
            .join(TicketRow, col(TicketRow.id) == col(TicketEventRow.ticket_id))
            .where(col(TicketEventRow.at) >= start, col(TicketEventRow.at) < end)
            .order_by(col(TicketEventRow.at), col(TicketEventRow.id))
        )
        return [(reference, event_record(row)) for row, reference in self._session.exec(statement)]

    def tickets_of_resident(self, *, resident_id: int) -> Sequence[Ticket]:
        statement = (
            select(TicketRow)
            .where(TicketRow.resident_id == resident_id)
            .order_by(col(TicketRow.created_at), col(TicketRow.id))
        )
        return [ticket_record(row) for row in self._session.exec(statement)]

    def residents(self) -> Sequence[Resident]:
        statement = select(ResidentRow).order_by(col(ResidentRow.id))
        return [resident_record(row) for row in self._session.exec(statement)]

    def households(self) -> Sequence[Household]:
        statement = select(HouseholdRow).order_by(col(HouseholdRow.id))
        return [household_record(row) for row in self._session.exec(statement)]

    # -- retention -------------------------------------------------------------------------------------------

    def expired_tickets(self, *, before: datetime, limit: int) -> Sequence[Ticket]:
        """Finished tickets untouched since `before`: no save and no event (a late callback counts)."""
        recent_event = exists().where(
            col(TicketEventRow.ticket_id) == col(TicketRow.id), col(TicketEventRow.at) >= before
        )
        open_followup = exists().where(
            col(FollowUpRow.ticket_id) == col(TicketRow.id), col(FollowUpRow.status).in_(_FOLLOWUP_OPEN)
        )
        statement = (
            select(TicketRow)
            .where(
                col(TicketRow.status).in_(_FINISHED),
                col(TicketRow.anonymised_at).is_(None),
                col(TicketRow.updated_at) < before,
                ~recent_event,
                ~open_followup,
            )
            .order_by(col(TicketRow.updated_at), col(TicketRow.id))
            .limit(limit)
        )
        return [ticket_record(row) for row in self._session.exec(statement)]

    def anonymise_ticket(self, *, ticket: Ticket, events: Sequence[TicketEvent], at: datetime) -> None:
        if ticket.id is None:
            raise ValueError("only a stored ticket can be anonymised")
        SqlTicketRepository(self._session).save(ticket=ticket)
        self._session.exec(update(TicketRow).where(col(TicketRow.id) == ticket.id).values(anonymised_at=at))
        # The callback's own record keeps its rating and result; the resident's words and chat go.
        self._session.exec(
            update(FollowUpRow).where(col(FollowUpRow.ticket_id) == ticket.id).values(comment="", chat_id=0)
        )
        for event in events:
            if event.ticket_id != ticket.id or event.id is None:
                raise ValueError("the events to scrub must be stored events of the same ticket")
            self._session.exec(
                update(TicketEventRow)
                .where(col(TicketEventRow.id) == event.id, col(TicketEventRow.ticket_id) == ticket.id)
                .values(actor=event.actor, data=dict(event.data))
            )

    def expired_residents(self, *, before: datetime, limit: int) -> Sequence[Resident]:
        live_ticket = exists().where(
            col(TicketRow.resident_id) == col(ResidentRow.id), col(TicketRow.anonymised_at).is_(None)
        )
        recent_chat = exists().where(
            col(ConversationRow.channel) == col(ResidentRow.channel),
            col(ConversationRow.chat_id) == col(ResidentRow.external_id),
            col(ConversationRow.updated_at) >= before,
        )
        statement = (
            select(ResidentRow)
            .where(
                col(ResidentRow.anonymised_at).is_(None),
                # An unknown creation time is not proof of age: such a record is kept, never purged.
                col(ResidentRow.created_at) < before,
                ~live_ticket,
                ~recent_chat,
            )
            .order_by(col(ResidentRow.id))
            .limit(limit)
        )
        return [resident_record(row) for row in self._session.exec(statement)]

    def anonymise_resident(self, *, resident: Resident, at: datetime) -> None:
        if resident.id is None:
            raise ValueError("only a stored resident can be anonymised")
        SqlResidentRepository(self._session).save(resident=resident)
        self._session.exec(
            update(ResidentRow).where(col(ResidentRow.id) == resident.id).values(anonymised_at=at)
        )

    def delete_conversations(self, *, before: datetime) -> int:
        result = self._session.exec(
            delete(ConversationRow).where(
                or_(col(ConversationRow.updated_at).is_(None), col(ConversationRow.updated_at) < before)
            )
        )
        return int(result.rowcount)

    def delete_outbox(self, *, before: datetime) -> int:
        result = self._session.exec(
            delete(OutboxRow).where(
                col(OutboxRow.status).in_((OutboxStatus.SENT, OutboxStatus.FAILED, OutboxStatus.UNKNOWN)),
                col(OutboxRow.created_at) < before,
            )
        )
        return int(result.rowcount)

    def scrub_survey_comments(self, *, before: datetime) -> int:
        """Remove the comments of survey forms finished (or, never finished, sent) before `before`."""
        finished = or_(
            col(SurveyDeliveryRow.finished_at) < before,
            and_(col(SurveyDeliveryRow.finished_at).is_(None), col(SurveyDeliveryRow.sent_at) < before),
        )
        result = self._session.exec(
            update(SurveyDeliveryRow)
            .where(col(SurveyDeliveryRow.comment).is_not(None), finished)
            .values(comment=None)
        )
        return int(result.rowcount)

    def delete_message_refs(self, *, before: datetime) -> int:
        result = self._session.exec(delete(MessageRefRow).where(col(MessageRefRow.updated_at) < before))
        return int(result.rowcount)
