"""The sender's claim stays bounded by its limit however long the backlog: the plans it gets.

A claim that gathered every due row, checked each and sorted them all to keep a hundred took 16 ms on
SQLite (holding the write lock every update waits for) and 28 ms on PostgreSQL with 17,000 replies
waiting. These tests pin the plans that avoid it, so a rewrite of the query cannot silently lose them.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine

from dialogs.messages import ChannelName, Outgoing, Reply
from storage.database import make_engine, upgrade
from storage.uow import SqlUnitOfWorkFactory

NOW = datetime(2026, 11, 28, 2, 0, tzinfo=UTC)


def claim_statement(engine: Engine) -> tuple[str, Any]:
    """The SQL (and parameters) that chooses the rows of a claim, as sent to the database."""
    factory = SqlUnitOfWorkFactory(engine)
    with factory() as uow:
        messages = [
            Outgoing(channel=ChannelName.TELEGRAM, chat_id=n % 7, reply=Reply(text="…")) for n in range(50)
        ]
        uow.outbox.enqueue_many(messages=messages, now=NOW)
        uow.commit()
    sent: list[tuple[str, Any]] = []

    def capture(_c: Any, _cursor: Any, statement: str, parameters: Any, *_rest: Any) -> None:
        sent.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", capture)
    try:
        with factory() as uow:
            claimed = uow.outbox.claim(channel="telegram", now=NOW, limit=10)
            assert [row.id for row in claimed] == list(range(1, 11))  # the oldest, up to the limit
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    return next((s, p) for s, p in sent if "outbox_1" in s)  # the choice (on SQLite, inside the update)


def migrated(url: str) -> Engine:
    engine = make_engine(url)
    upgrade(engine)
    return engine


def test_sqlite_walks_the_open_rows_in_order_instead_of_sorting_them(sqlite_url: str) -> None:
    engine = migrated(sqlite_url)
    statement, parameters = claim_statement(engine)
    with engine.connect() as connection:
        plan = [row[-1] for row in connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)]
    assert any("ix_outbox_open" in step for step in plan), plan
    assert not any("TEMP B-TREE" in step for step in plan), plan
    engine.dispose()


@pytest.mark.postgres
def test_postgres_checks_each_candidate_with_an_index_look_up(postgres_url: str) -> None:
    engine = migrated(postgres_url)
    statement, parameters = claim_statement(engine)
    with engine.connect() as connection:
        plan = "\n".join(row[0] for row in connection.exec_driver_sql(f"EXPLAIN {statement}", parameters))
    assert "SubPlan" in plan and "Anti Join" not in plan, plan  # a look-up per candidate, never a join
    assert "ix_outbox_open_chat" in plan, plan
    engine.dispose()
