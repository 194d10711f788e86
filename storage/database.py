"""Engines and schema migrations.

`make_engine` is the one place connection settings are decided, so every process (bot, scheduler,
sender, tests) talks to the database the same way. `upgrade` runs the Alembic migrations from code, with
the configuration built here rather than read from an `alembic.ini`, so an installed package can migrate
its database without any file beside it.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, event
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.exc import InvalidatePoolError

__all__ = [
    "MIGRATIONS_DIR",
    "alembic_config",
    "default_sqlite_url",
    "make_engine",
    "normalise_url",
    "upgrade",
]

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"

_SQLITE_PRAGMAS = (
    # WAL lets readers work while one writer writes (the bot, the scheduler and the sender share a file).
    "PRAGMA journal_mode=WAL",
    # In WAL mode NORMAL syncs at checkpoints, not at every commit: a commit survives a crash of the process
    # (the webhook's "committed before 200" holds) and only a power cut can lose the last moments. FULL
    # cost an fsync per update (~10 ms here), a third of a worker's time; PostgreSQL is the durable choice.
    "PRAGMA synchronous=NORMAL",
    # Wait for the write lock instead of failing at once with "database is locked".
    "PRAGMA busy_timeout=5000",
    # SQLite ignores foreign keys unless told otherwise, per connection.
    "PRAGMA foreign_keys=ON",
)


def default_sqlite_url(base_dir: Path) -> str:
    """The SQLite database used when none is configured: `<base_dir>/var/frontdesk.db`."""
    return f"sqlite:///{(base_dir / 'var' / 'frontdesk.db').as_posix()}"


def normalise_url(url: str | URL) -> URL:
    """Parse a URL, sending plain `postgresql://` (and `postgres://`) to the psycopg 3 driver."""
    parsed = make_url(url)
    if parsed.drivername in {"postgresql", "postgres"}:
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


PG_CONNECT_TIMEOUT = 10
"""Seconds to wait for a PostgreSQL connection before giving up."""

PG_IDLE_PING_SECONDS = 1.0
"""A pooled PostgreSQL connection idle this long is pinged before its next use (`_ping_after_idle`)."""


def make_engine(url: str | URL, **kwargs: Any) -> Engine:
    """Create an engine for SQLite or PostgreSQL; extra keyword arguments go to `create_engine`.

    For a SQLite file the parent directory is created, so a fresh checkout runs without setup.
    """
    parsed = normalise_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        database = parsed.database
        if database and database != ":memory:" and not database.startswith("file:"):
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(parsed, **kwargs)
        event.listen(engine, "connect", _configure_sqlite)
        return engine
    if backend == "postgresql":
        if "connect_timeout" not in parsed.query:
            # A partitioned network (no refusal) would otherwise hold a worker thread for the OS's
            # TCP timeout, minutes, instead of refusing the update and letting Telegram retry.
            kwargs.setdefault("connect_args", {}).setdefault("connect_timeout", PG_CONNECT_TIMEOUT)
        engine = create_engine(parsed, **kwargs)
        if not kwargs.get("pool_pre_ping"):
            _ping_after_idle(engine)
        return engine
    raise ValueError(f"unsupported database: {backend} (use sqlite or postgresql)")


def _ping_after_idle(engine: Engine) -> None:
    """Check a pooled connection before use only when it sat idle for `PG_IDLE_PING_SECONDS`.

    A connection may have died while it sat in the pool (the server restarted, a proxy dropped it); a dead
    one is replaced at checkout, with the rest of the pool (`InvalidatePoolError` makes the pool connect
    afresh), instead of failing the update that drew it. SQLAlchemy's `pool_pre_ping` pings at every
    checkout: a round trip per batch of updates, ~0.5 ms on this machine and a hand-over of the interpreter
    lock, while a busy worker takes its connection back within milliseconds of returning it. If the server
    goes away under load, the batch holding a dead connection fails (SQLAlchemy discards that connection,
    or the whole pool when a statement meets the disconnect), and the updates are refused and redelivered
    as with any outage.
    """

    @event.listens_for(engine, "checkin")
    def returned(_dbapi_connection: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def taken(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        idle_since = record.info.get("idle_since")
        if idle_since is None or time.monotonic() - idle_since < PG_IDLE_PING_SECONDS:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except Exception as error:
            # The server restarted or the network dropped: the pool's other connections are as dead as this
            # one, so all are replaced (as `pool_pre_ping` does), not each by the batch that draws it.
            raise InvalidatePoolError("pooled connection dead after being idle") from error


def _configure_sqlite(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        for pragma in _SQLITE_PRAGMAS:
            cursor.execute(pragma)
    finally:
        cursor.close()


def alembic_config(url: str | URL | None = None) -> Config:
    """An Alembic `Config` pointing at the packaged migrations (no ini file needed)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if url is not None:
        rendered = normalise_url(url).render_as_string(hide_password=False)
        # ConfigParser interpolation treats % specially; URL-encoded passwords contain it.
        config.set_main_option("sqlalchemy.url", rendered.replace("%", "%%"))
    return config


def upgrade(engine_or_url: Engine | str | URL, revision: str = "head") -> None:
    """Migrate the database to `revision` (default: the newest), in one transaction where supported."""
    if isinstance(engine_or_url, Engine):
        _upgrade_with(engine_or_url, revision)
        return
    engine = make_engine(engine_or_url)
    try:
        _upgrade_with(engine, revision)
    finally:
        engine.dispose()


def _upgrade_with(engine: Engine, revision: str) -> None:
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
