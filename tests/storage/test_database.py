"""Engine settings and URLs (PostgreSQL engines are exercised by test_storage too)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from storage import database
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


@pytest.mark.postgres
def test_a_pooled_connection_is_pinged_only_after_sitting_idle(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = make_engine(postgres_url, pool_size=1, max_overflow=0)
    pings: list[object] = []
    dead = [True]  # the first ping finds the connection dead (the server restarted meanwhile)
    real_ping = engine.dialect.do_ping

    def ping(dbapi_connection: Any) -> bool:
        pings.append(dbapi_connection)
        if dead.pop() if dead else False:
            raise OSError("server closed the connection unexpectedly")
        return real_ping(dbapi_connection)

    monkeypatch.setattr(engine.dialect, "do_ping", ping)
    clock = [1000.0]
    monkeypatch.setattr(time, "monotonic", lambda: clock[0])  # what the pool listeners read

    def use() -> object:
        with engine.connect() as connection:
            assert connection.execute(text("SELECT 1")).scalar_one() == 1
            return connection.connection.dbapi_connection

    first = use()
    clock[0] += 0.2
    assert use() is first and pings == []  # taken back at once under load: no round trip spent on a ping
    clock[0] += database.PG_IDLE_PING_SECONDS + 1
    replaced = use()  # idle: pinged, found dead, replaced by a fresh connection before use
    assert pings == [first] and replaced is not first
    clock[0] += database.PG_IDLE_PING_SECONDS + 1
    assert use() is replaced and pings == [first, replaced]  # alive: kept
    engine.dispose()
