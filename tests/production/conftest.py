"""The storage tier's database fixtures (`db_url`, `engine`, `uow`: SQLite and PostgreSQL), reused here."""

from tests.storage.conftest import (  # noqa: F401 (fixtures are found by name)
    db_url,
    engine,
    postgres_database_url,
    postgres_url,
    sqlite_url,
    uow,
)
