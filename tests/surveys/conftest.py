"""Survey test fixtures: the storage tier's database fixtures (sqlite and postgres), reused as they are."""

from __future__ import annotations

from tests.storage.conftest import (  # noqa: F401 - fixtures are found by name
    db_url,
    engine,
    postgres_database_url,
    postgres_url,
    sqlite_url,
    uow,
)
