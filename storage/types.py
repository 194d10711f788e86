"""Column types shared by the tables.

Times are stored as UTC and always come back timezone-aware UTC. PostgreSQL keeps the zone
(`timestamptz`), but SQLite silently drops `tzinfo`; without this type a value written aware would be
read back naive and comparisons with the clock's aware `now()` would raise at run time.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

__all__ = ["UTCDateTime"]


class UTCDateTime(TypeDecorator[datetime]):
    """An aware-UTC timestamp column; naive datetimes are refused on write.

    A naive value is ambiguous (local time? UTC?), so accepting it would let a wrong time into the
    audit trail unnoticed; failing loudly at the write is cheaper than hunting it down in a report.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Normalise to UTC; SQLite gets a naive UTC value so stored strings sort and compare correctly."""
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise TypeError(f"expected a datetime, got {type(value).__name__}")
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError("naive datetime refused: store timezone-aware UTC times")
        as_utc = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return as_utc.replace(tzinfo=None)
        return as_utc

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        """Return aware UTC whatever the driver hands back (naive from SQLite, session zone from PG)."""
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise TypeError(f"expected a datetime from the database, got {type(value).__name__}")
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)
