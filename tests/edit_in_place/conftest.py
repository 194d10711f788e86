"""Fixtures: the storage tier's databases (`db_url` runs a test on SQLite and on PostgreSQL)."""

from __future__ import annotations

from tests.storage.conftest import db_url, engine, postgres_database_url, postgres_url, sqlite_url, uow

__all__ = ["db_url", "engine", "postgres_database_url", "postgres_url", "sqlite_url", "uow"]
