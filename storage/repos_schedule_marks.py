"""Schedule marks: one worker per occurrence of a recurring job, decided by the database."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlmodel import Session, col

from storage.dialect import upsert_insert
from storage.tables import ScheduleMarkRow, table_of

__all__ = ["SqlScheduleMarkRepository"]


class SqlScheduleMarkRepository:
    """Implements `dialogs.ports.ScheduleMarkRepository` over one session."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def claim(self, *, name: str, due_at: datetime) -> bool:
        """Insert the first mark, or move it forward only if it is behind: a single statement each, so two
        workers racing for the same occurrence cannot both win."""
        table = table_of(ScheduleMarkRow)
        insert = upsert_insert(self._session, table).values(name=name, last_at=due_at)
        created = self._session.exec(
            insert.on_conflict_do_nothing(index_elements=["name"]).returning(table.c.name)
        ).first()
        if created is not None:
            return True
        moved = self._session.exec(
            update(ScheduleMarkRow)
            .where(col(ScheduleMarkRow.name) == name, col(ScheduleMarkRow.last_at) < due_at)
            .values(last_at=due_at)
        )
        return bool(moved.rowcount)
