"""Database fixtures: `sqlite_url`, `postgres_url` and `db_url` (parametrised over both).

Written to be movable to `tests/conftest.py` unchanged. Each test gets an empty database:
- `sqlite_url`: a fresh file under the test's `tmp_path`;
- `postgres_url`: a throwaway database `frontdesk_t_<random>` created once per session on the server at
  127.0.0.1:5432 (trust auth; the user is the first of `FRONTDESK_TEST_PG_USERS`, default "postgres,root",
  that can connect, or the full admin URL in `FRONTDESK_TEST_PG_URL`), its `public` schema reset before
  each test and the database dropped at the end of the session.
PostgreSQL tests are skipped when the server cannot be reached, except when `CI=true`: CI has the server,
so there an unreachable PostgreSQL fails the tests instead of silently testing less.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import NullPool

from storage.database import make_engine, upgrade
from storage.uow import SqlUnitOfWorkFactory

PG_HOST = "127.0.0.1"
PG_PORT = 5432
PG_ADMIN_DATABASE = "test"


def _admin_url_candidates() -> list[URL]:
    explicit = os.environ.get("FRONTDESK_TEST_PG_URL")
    if explicit:
        return [make_url(explicit).set(drivername="postgresql+psycopg")]
    users = os.environ.get("FRONTDESK_TEST_PG_USERS", "postgres,root").split(",")
    return [
        URL.create(
            "postgresql+psycopg",
            username=user.strip(),
            host=PG_HOST,
            port=PG_PORT,
            database=PG_ADMIN_DATABASE,
        )
        for user in users
        if user.strip()
    ]


def _reachable_admin_url() -> tuple[URL | None, str]:
    """The first admin URL that connects, or None and why none did."""
    errors: list[str] = []
    for url in _admin_url_candidates():
        engine = create_engine(url, connect_args={"connect_timeout": 3}, poolclass=NullPool)
        try:
            with engine.connect() as connection:
                connection.execute(text("SELECT 1"))
            return url, ""
        except OperationalError as error:
            errors.append(f"{url.username}@{url.host}:{url.port}: {str(error.orig).strip().splitlines()[0]}")
        finally:
            engine.dispose()
    return None, "; ".join(errors)


@pytest.fixture(scope="session")
def postgres_database_url() -> Iterator[str]:
    """A throwaway PostgreSQL database for the whole session (skipped if unreachable, failed on CI)."""
    admin_url, why = _reachable_admin_url()
    if admin_url is None:
        message = f"PostgreSQL unreachable ({why})"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{message}; CI=true requires it")
        pytest.skip(message)
    name = f"frontdesk_t_{secrets.token_hex(6)}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        yield admin_url.set(database=name).render_as_string(hide_password=False)
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


@pytest.fixture
def postgres_url(postgres_database_url: str) -> str:
    """The session's PostgreSQL database, emptied (its `public` schema recreated) for this test."""
    engine = create_engine(postgres_database_url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
    finally:
        engine.dispose()
    return postgres_database_url


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A URL for an empty SQLite file private to this test."""
    return f"sqlite:///{(tmp_path / 'var' / 'frontdesk.db').as_posix()}"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest) -> str:
    """An empty database of each supported kind: the test runs once per database."""
    return str(request.getfixturevalue(f"{request.param}_url"))


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    """A migrated, empty database on the `db_url` under test."""
    migrated = make_engine(db_url)
    upgrade(migrated)
    yield migrated
    migrated.dispose()


@pytest.fixture
def uow(engine: Engine) -> SqlUnitOfWorkFactory:
    """Units of work on that database."""
    return SqlUnitOfWorkFactory(engine)
