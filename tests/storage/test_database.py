"""Engine settings and URLs (SQLite only; PostgreSQL engines are exercised by test_storage)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from storage.database import default_sqlite_url, make_engine, normalise_url


def test_default_sqlite_url_is_under_var(tmp_path: Path) -> None:
    assert default_sqlite_url(tmp_path) == f"sqlite:///{tmp_path.as_posix()}/var/frontdesk.db"


@pytest.mark.parametrize("scheme", ["postgresql", "postgres", "postgresql+psycopg"])
def test_postgresql_urls_use_psycopg3(scheme: str) -> None:
    url = normalise_url(f"{scheme}://u:p%40ss@db.example:5433/frontdesk")
    assert url.drivername == "postgresql+psycopg"
    assert (url.host, url.port, url.database, url.password) == ("db.example", 5433, "frontdesk", "p@ss")


def test_sqlite_engine_creates_its_directory_and_sets_pragmas(tmp_path: Path) -> None:
    engine = make_engine(default_sqlite_url(tmp_path / "fresh"))
    try:
        with engine.connect() as connection:
            assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            assert connection.execute(text("PRAGMA busy_timeout")).scalar() == 5000
            assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert (tmp_path / "fresh" / "var" / "frontdesk.db").exists()
    finally:
        engine.dispose()


def test_unsupported_databases_are_refused() -> None:
    with pytest.raises(ValueError, match="unsupported"):
        make_engine("mysql://u@localhost/db")
