"""The few statements whose SQL differs between SQLite and PostgreSQL.

Both dialects support `INSERT … ON CONFLICT` and `RETURNING` (SQLite ≥ 3.35), but SQLAlchemy exposes
them through per-dialect `insert` constructs; choosing the construct here keeps the repositories free of
dialect checks.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

__all__ = ["dialect_name", "upsert_insert"]


def dialect_name(session: Session) -> str:
    """`"sqlite"` or `"postgresql"`: the dialect the session is bound to."""
    return session.get_bind().dialect.name


def upsert_insert(session: Session, table: Any) -> postgresql.Insert | sqlite.Insert:
    """An `INSERT` construct offering `on_conflict_do_*` for the session's database."""
    name = dialect_name(session)
    if name == "postgresql":
        return postgresql.insert(table)
    if name == "sqlite":
        return sqlite.insert(table)
    raise NotImplementedError(f"unsupported database dialect: {name}")
