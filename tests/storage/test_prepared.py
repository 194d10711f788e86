"""`storage.prepared.Prepared`: the hot path's statements on the driver's cursor behave as through
SQLAlchemy — the same rows and types, its exceptions, its statement events — on both databases."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

import psycopg
import pytest
from sqlalchemy import Integer, bindparam, event, insert, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import (
    DBAPIError,
    IntegrityError,
    MultipleResultsFound,
    NoResultFound,
    OperationalError,
    StatementError,
)

from storage.prepared import Prepared
from storage.tables import OutboxRow, ResidentRow, TicketRow, table_of
from storage.uow import SqlUnitOfWorkFactory

NOW = datetime(2026, 11, 27, 9, 30, 15, 123456, tzinfo=UTC)
RESIDENTS = table_of(ResidentRow)
TICKETS = table_of(TicketRow)
OUTBOX = table_of(OutboxRow)

_ADD_RESIDENT = Prepared(
    insert(RESIDENTS)
    .values(
        channel=bindparam("channel"),
        external_id=bindparam("external_id"),
        display_name=bindparam("name"),
        language=bindparam("language"),
        created_at=bindparam("created_at"),
    )
    .returning(RESIDENTS.c.id)
)
_BY_CHANNEL = select(RESIDENTS).where(RESIDENTS.c.channel == bindparam("channel")).order_by(RESIDENTS.c.id)


def add_residents(engine: Engine, count: int, channel: str = "telegram") -> list[int]:
    with engine.begin() as connection:
        return [
            _ADD_RESIDENT.scalar(
                connection,
                {"channel": channel, "external_id": n, "name": f"R{n}", "language": "zh", "created_at": NOW},
            )
            for n in range(count)
        ]


def test_rows_are_what_sqlalchemy_reads(engine: Engine) -> None:
    """Same columns, same values, same Python types (an aware UTC datetime, not the driver's own)."""
    add_residents(engine, 3)
    with engine.connect() as connection:
        through_sqlalchemy = [
            row._asdict() for row in connection.execute(_BY_CHANNEL, {"channel": "telegram"})
        ]
        prepared = [row._asdict() for row in Prepared(_BY_CHANNEL).rows(connection, {"channel": "telegram"})]
    assert prepared == through_sqlalchemy
    assert len(prepared) == 3 and prepared[0]["created_at"] == NOW and prepared[0]["created_at"].tzinfo


def test_json_columns_and_python_side_defaults(engine: Engine) -> None:
    """JSON is encoded and decoded by the column's type; a column left out gets its scalar default."""
    (resident,) = add_residents(engine, 1)
    fields: dict[str, Any] = {
        "reference": "R2611270001",
        "type": "R",
        "status": "open",
        "priority": "normal",
        "resident_id": resident,
        "description": "漏水",
        "language": "zh",
        "channel": "telegram",
        "chat_id": 1,
        "photos": ["a", "b"],
        "details": {"楼": 3, "nested": {"x": [1, 2]}},
        "created_at": NOW,
        "updated_at": NOW,
    }
    add = Prepared(insert(TICKETS).values({name: bindparam(name) for name in fields}).returning(*TICKETS.c))
    with engine.begin() as connection:
        row = add.one(connection, fields)
    assert row.photos == ["a", "b"] and row.details == {"楼": 3, "nested": {"x": [1, 2]}}
    assert row.version == 1 and row.location == ""  # the columns' defaults
    assert row.created_at == NOW


def test_one_scalar_and_missing_values(engine: Engine) -> None:
    add_residents(engine, 2)
    by_channel = Prepared(_BY_CHANNEL)
    newest = Prepared(_BY_CHANNEL.with_only_columns(RESIDENTS.c.external_id).limit(1))
    with engine.connect() as connection:
        assert newest.scalar(connection, {"channel": "telegram"}) == 0  # `LIMIT 1` bound when built
        assert by_channel.one_or_none(connection, {"channel": "viber"}) is None
        with pytest.raises(MultipleResultsFound):
            by_channel.one_or_none(connection, {"channel": "telegram"})
        with pytest.raises(NoResultFound):
            by_channel.one(connection, {"channel": "viber"})
        with pytest.raises(ValueError, match="channel"):
            by_channel.rows(connection, {})


def test_driver_errors_come_out_as_sqlalchemy_exceptions(engine: Engine) -> None:
    add_residents(engine, 1)
    with pytest.raises(IntegrityError):
        add_residents(engine, 1)  # the same channel identity again
    with engine.begin() as connection, pytest.raises(StatementError, match="naive"):
        _ADD_RESIDENT.scalar(
            connection,
            {
                "channel": "x",
                "external_id": 1,
                "name": "n",
                "language": "zh",
                "created_at": datetime(2026, 1, 1),
            },
        )


def test_statements_whose_sql_depends_on_the_values_are_refused(engine: Engine) -> None:
    listed = Prepared(select(RESIDENTS).where(RESIDENTS.c.id.in_(bindparam("ids", expanding=True))))
    with engine.connect() as connection, pytest.raises(ValueError, match="array"):
        listed.rows(connection, {"ids": [1, 2]})


def test_statement_listeners_see_every_execution(engine: Engine) -> None:
    seen: list[tuple[str, bool]] = []

    def record(*args: Any) -> None:
        seen.append((args[2], args[5]))

    event.listen(engine, "before_cursor_execute", record)
    try:
        add_residents(engine, 1)
        rows = [
            {
                "channel": "telegram",
                "chat_id": 1,
                "audience": "resident",
                "payload": {"text": "hi"},
                "status": "pending",
                "attempts": 0,
                "available_at": NOW,
                "created_at": NOW,
            }
        ] * 2
        add = Prepared(insert(OUTBOX).values({name: bindparam(name) for name in rows[0]}))
        with engine.begin() as connection:
            add.execute_many(connection, rows)
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert [many for statement, many in seen if "INSERT INTO residents" in statement] == [False]
    assert [many for statement, many in seen if "INSERT INTO outbox" in statement] == [True]
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM outbox")).scalar_one() == 2


@pytest.mark.postgres
def test_a_lost_connection_is_invalidated(postgres_url: str) -> None:
    """A server that hung up: SQLAlchemy's `OperationalError`, the connection invalidated, and the pool's
    other connections replaced too (they date from before the disconnect, as after a server restart), so
    the next transactions work on new ones."""
    from storage.database import make_engine, upgrade

    engine = make_engine(postgres_url)
    upgrade(engine)
    probe = Prepared(select(RESIDENTS.c.id).where(RESIDENTS.c.channel == bindparam("channel")))

    def backend(connection: Any) -> int:
        return int(connection.exec_driver_sql("SELECT pg_backend_pid()").scalar_one())

    try:
        with engine.connect() as first, engine.connect() as second:
            before = {backend(first), backend(second)}
        with engine.connect() as connection:
            probe.rows(connection, {"channel": "telegram"})
            pid = backend(connection)
            with psycopg.connect(postgres_url.replace("postgresql+psycopg", "postgresql")) as killer:
                killer.execute("SELECT pg_terminate_backend(%s)", (pid,))
            with pytest.raises(OperationalError) as raised:
                probe.rows(connection, {"channel": "telegram"})
            assert raised.value.connection_invalidated and connection.invalidated
        with engine.connect() as first, engine.connect() as second:
            assert probe.rows(first, {"channel": "telegram"}) == []
            assert not {backend(first), backend(second)} & before
    finally:
        engine.dispose()


def test_statements_sent_together_are_read_afterwards(engine: Engine, uow: SqlUnitOfWorkFactory) -> None:
    """`send`: rows read after later statements went out (inside `sent_together` on PostgreSQL the
    answers come together when the first is read), each statement's own rows, in order."""
    add_residents(engine, 3)
    add_residents(engine, 2, channel="viber")
    by_channel = Prepared(_BY_CHANNEL)
    with uow() as work:
        assert work._session is not None
        connection = work._session.connection()
        with work.sent_together():
            telegram = by_channel.send(connection, {"channel": "telegram"})
            _ADD_RESIDENT.execute(
                connection,
                {"channel": "viber", "external_id": 7, "name": "n", "language": "zh", "created_at": NOW},
            )
            viber = by_channel.send(connection, {"channel": "viber"})  # after the insert: sees it
            assert [row.external_id for row in viber.rows()] == [0, 1, 7]
            assert [row.external_id for row in telegram.rows()] == [0, 1, 2]


@pytest.mark.postgres
def test_an_error_among_statements_sent_together_is_sqlalchemys(postgres_url: str) -> None:
    from storage.database import make_engine, upgrade

    engine = make_engine(postgres_url)
    upgrade(engine)
    failing = Prepared(text("SELECT CAST(:x AS INTEGER) AS n").columns())
    try:
        with SqlUnitOfWorkFactory(engine)() as work, pytest.raises(DBAPIError, match="invalid input"):
            assert work._session is not None
            connection = work._session.connection()
            with work.sent_together():
                pending = failing.send(connection, {"x": "not a number"})
                pending.rows()
    finally:
        engine.dispose()


@pytest.mark.postgres
def test_a_statement_read_in_a_pipeline_gets_its_own_answer(postgres_url: str) -> None:
    """Inside a pipeline every statement has a cursor of its own: an earlier statement's answer arriving
    while a later one is sent must not be taken for the later one's (it was: a batch's claim read the
    lock's empty rows, and every update of the batch counted as already handled)."""
    from storage.database import make_engine, upgrade

    engine = make_engine(postgres_url)
    upgrade(engine)
    many = Prepared(text("SELECT n FROM generate_series(1, 20000) AS n").columns(n=Integer()))
    one = Prepared(text("SELECT CAST(:x AS INTEGER) AS n").columns(n=Integer()))
    try:
        with SqlUnitOfWorkFactory(engine)() as work:
            assert work._session is not None
            connection = work._session.connection()
            with work.sent_together():
                one.execute(connection, {"x": 1})  # answers not read (the batch's lock, its inserts)
                many.execute(connection, {})
                time.sleep(0.2)  # the server has sent them by now
                assert [row.n for row in one.rows(connection, {"x": 7})] == [7]
    finally:
        engine.dispose()
