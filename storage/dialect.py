"""The few statements whose SQL differs between SQLite and PostgreSQL.

Both dialects support `INSERT … ON CONFLICT` and `RETURNING` (SQLite ≥ 3.35), but SQLAlchemy exposes
them through per-dialect `insert` constructs; choosing the construct here keeps the repositories free of
dialect checks.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

__all__ = ["dialect_name", "per_dialect", "upsert_insert"]

T = TypeVar("T")
_INSERTS: dict[str, Callable[[Any], postgresql.Insert | sqlite.Insert]] = {
    "postgresql": postgresql.insert,
    "sqlite": sqlite.insert,
}


def dialect_name(session: Session) -> str:
    """`"sqlite"` or `"postgresql"`: the dialect the session is bound to."""
    return session.get_bind().dialect.name


def upsert_insert(session: Session, table: Any) -> postgresql.Insert | sqlite.Insert:
    """An `INSERT` construct offering `on_conflict_do_*` for the session's database."""
    name = dialect_name(session)
    if name not in _INSERTS:
        raise NotImplementedError(f"unsupported database dialect: {name}")
    return _INSERTS[name](table)


def per_dialect(build: Callable[[Callable[[Any], postgresql.Insert | sqlite.Insert]], T]) -> dict[str, T]:
    """`build(insert)` once per dialect, keyed by dialect name: a statement prepared at import time.

    The hot path (every incoming message) executes prepared statements with bound parameters, so
    SQLAlchemy finds their compiled form in its cache instead of building and hashing a new construct.
    """
    return {name: build(insert) for name, insert in _INSERTS.items()}
