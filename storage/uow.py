"""The unit of work: one session, one transaction, all repositories.

Everything one incoming message causes (a ticket, its events, the conversation state, the replies in the
outbox) is committed together or not at all; leaving the block without `commit()` rolls back.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from types import TracebackType
from typing import Self

import psycopg
from sqlalchemy.engine import Engine
from sqlmodel import Session

from dialogs.ports import (
    ChatLocks,
    ConversationRepository,
    FollowUpRepository,
    HouseholdRepository,
    MessageRefRepository,
    OutboxRepository,
    ProcessedUpdateRepository,
    RecordsRepository,
    ResidentRepository,
    ScheduleMarkRepository,
    StaffRepository,
    SurveyRepository,
    TicketRepository,
)
from storage.prepared import driver_errors_translated
from storage.repositories import (
    SqlChatLocks,
    SqlConversationRepository,
    SqlFollowUpRepository,
    SqlHouseholdRepository,
    SqlMessageRefRepository,
    SqlOutboxRepository,
    SqlProcessedUpdateRepository,
    SqlRecordsRepository,
    SqlResidentRepository,
    SqlScheduleMarkRepository,
    SqlStaffRepository,
    SqlSurveyRepository,
    SqlTicketRepository,
)

__all__ = ["SqlUnitOfWork", "SqlUnitOfWorkFactory"]


class SqlUnitOfWork:
    """Implements `dialogs.ports.UnitOfWork` over a SQLModel session.

    The session and repositories exist only inside the `with` block, so a unit of work cannot be used
    half-open or reused after it has ended.
    """

    # Typed as the ports (not the Sql classes): the Protocol's attributes are settable, hence invariant.
    households: HouseholdRepository
    residents: ResidentRepository
    staff: StaffRepository
    tickets: TicketRepository
    conversations: ConversationRepository
    outbox: OutboxRepository
    message_refs: MessageRefRepository
    schedule_marks: ScheduleMarkRepository
    chat_locks: ChatLocks
    processed_updates: ProcessedUpdateRepository
    records: RecordsRepository
    surveys: SurveyRepository
    followups: FollowUpRepository

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._session: Session | None = None
        self._pipelined = False

    def __enter__(self) -> Self:
        if self._session is not None:
            raise RuntimeError("unit of work already entered")
        # expire_on_commit=False: the repositories hand out frozen dataclasses, never live rows, so
        # reloading every row after commit would only cost queries.
        session = Session(self._engine, expire_on_commit=False)
        self._session = session
        self.households = SqlHouseholdRepository(session)
        self.residents = SqlResidentRepository(session)
        self.staff = self._staff = SqlStaffRepository(session)
        self.tickets = SqlTicketRepository(session)
        self.conversations = SqlConversationRepository(session)
        self.outbox = SqlOutboxRepository(session)
        self.message_refs = SqlMessageRefRepository(session)
        self.schedule_marks = SqlScheduleMarkRepository(session)
        self.chat_locks = SqlChatLocks(session)
        self.processed_updates = SqlProcessedUpdateRepository(session)
        self.records = SqlRecordsRepository(session)
        self.surveys = SqlSurveyRepository(session)
        self.followups = self._followups = SqlFollowUpRepository(session)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Roll back whatever was not committed and give the connection back to the pool."""
        session = self._session
        self._session = None
        if session is None:
            return
        try:
            session.rollback()
        finally:
            session.close()

    def commit(self) -> None:
        """Commit everything done so far; the unit of work stays usable for more work."""
        if self._session is None:
            raise RuntimeError("unit of work used outside its `with` block")
        if self._pipelined:
            raise RuntimeError("commit after the `sent_together` block, not inside it (see there)")
        self._session.commit()
        self._followups.forget_read_ahead()  # the next transaction may see other follow-ups and staff
        self._staff.forget_read_ahead()

    @contextmanager
    def sent_together(self, *, then_commit: bool = False) -> Iterator[None]:
        """On PostgreSQL, psycopg's pipeline mode: the statements made inside are sent without waiting for
        each answer, and the answers (an error among them) come in one round trip as the block ends, or
        when something inside reads a result. A batch's closing writes (every chat state, every reply) so
        cost one round trip instead of two; with `then_commit` the commit rides with them (the block
        leaving without an error commits the unit of work). SQLite has no round trips to save.

        `commit()` cannot be called inside the block: committing gives the connection back to the pool,
        where another thread (the outbox sender's, the ticker's) could take it while it is still in
        pipeline mode. With `then_commit` the driver's COMMIT is queued in the pipeline, and the unit of
        work's own commit, after the block, finds nothing left to send and only then lets the connection
        go. If a statement of the block failed, the server skips the COMMIT queued after it (or turns it
        into a rollback), so nothing of the transaction is kept. The ORM's pending changes are flushed
        first, outside: a flush reads back row counts, which a pipeline has not got yet. An error reported
        when the block ends is raised as SQLAlchemy's exception for it (a lost connection invalidated),
        like one from any statement."""
        if self._session is None:
            raise RuntimeError("unit of work used outside its `with` block")
        self._session.flush()
        connection = self._session.connection()
        if connection.dialect.name != "postgresql":
            self._pipelined = True  # the same rules on SQLite, so a commit inside fails in every test
            try:
                yield
            finally:
                self._pipelined = False
            if then_commit:
                self.commit()
            return
        driver = connection.connection.driver_connection
        assert isinstance(driver, psycopg.Connection)
        self._pipelined = True
        try:
            with driver_errors_translated(connection), driver.pipeline():
                yield
                if then_commit:
                    driver.execute("COMMIT", prepare=False)  # queued: no Sync of its own, unlike `commit()`
        finally:
            self._pipelined = False
            if not connection.invalidated and driver.pgconn.pipeline_status != psycopg.pq.PipelineStatus.OFF:
                # psycopg only logs a failure to leave pipeline mode while an error is on its way out: such
                # a connection must not be used again, by this unit of work or from the pool.
                connection.invalidate()
        if then_commit:
            self.commit()


class SqlUnitOfWorkFactory:
    """Implements `dialogs.ports.UnitOfWorkFactory`: a new unit of work per call, all on one engine."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def __call__(self) -> SqlUnitOfWork:
        return SqlUnitOfWork(self._engine)
