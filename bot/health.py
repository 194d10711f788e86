"""Liveness and readiness: what a load balancer asks before it sends a worker traffic.

`/healthz` only says the process answers (restart it if not). `/readyz` says it can do its work: the
database answers and its schema is at the newest migration this code knows — a worker started against an
old schema, or while the database is away, is taken out of rotation instead of failing every update.
"""

from __future__ import annotations

from dataclasses import dataclass

from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.engine import Engine as SqlEngine

from storage.database import alembic_config

__all__ = ["Readiness", "ReadinessProbe"]

_VERSIONS = text("SELECT version_num FROM alembic_version")


@dataclass(frozen=True)
class Readiness:
    """The probe's answer and, when not ready, why."""

    ready: bool
    reason: str = ""


class ReadinessProbe:
    """Checks the database and its migration level (blocking: call it from a worker thread)."""

    def __init__(self, db: SqlEngine) -> None:
        self._db = db
        self._heads = set(ScriptDirectory.from_config(alembic_config()).get_heads())

    def check(self) -> Readiness:
        """Ready when the database answers and `alembic_version` holds exactly the code's head."""
        try:
            with self._db.connect() as connection:
                versions = {row[0] for row in connection.execute(_VERSIONS)}
        except Exception as error:
            return Readiness(False, f"database unavailable: {type(error).__name__}")
        if versions != self._heads:
            return Readiness(False, f"schema at {sorted(versions)}, code expects {sorted(self._heads)}")
        return Readiness(True)
