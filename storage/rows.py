"""Insert-or-update of a row from a domain record, shared by the repositories."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlmodel import Session, SQLModel

__all__ = ["stored"]

RowT = TypeVar("RowT", bound=SQLModel)


def stored(session: Session, row_type: type[RowT], row_id: int | None, fields: dict[str, Any]) -> RowT:
    """Insert a new row (`row_id` None) or update the row with that id, flushed so its id is known.

    An id that is not in the table is an error rather than an implicit insert: it means the caller holds
    a record from another database or one that was deleted, and writing it would hide that.
    """
    if row_id is None:
        row = row_type(**fields)
    else:
        found = session.get(row_type, row_id)
        if found is None:
            raise LookupError(f"no {row_type.__name__} with id {row_id}")
        row = found
        row.sqlmodel_update(fields)
    session.add(row)
    session.flush()
    return row
