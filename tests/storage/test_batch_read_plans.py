"""A batch's opening reads look each chat up by its key, whatever PostgreSQL's statistics say.

psycopg prepares a statement after five runs and PostgreSQL then may keep a generic plan, made without
the parameters' values. For `channel = $1 AND external_id IN ($2, …)` on a table never analysed (a new
database, autovacuum off or not yet run) that plan was "every resident of the channel, filtered": the
load benchmark's batch read of its senders grew from 0.1 ms to several with every new resident. The reads
now look each value up on its own (`storage.dialect.rows_for_keys`); these tests pin the generic plans of
all three, on tables with rows and no statistics.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from psycopg import sql
from sqlalchemy import Select
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Connection

from dialogs.domain import Conversation, Resident
from storage.database import make_engine, upgrade
from storage.prepared import Prepared
from storage.repos_conversations import _LOAD_MANY
from storage.repos_followups import _AWAITING_CHATS
from storage.repos_people import _FIND_RESIDENTS
from storage.uow import SqlUnitOfWorkFactory

pytestmark = pytest.mark.postgres

NOW = datetime(2026, 11, 28, 2, 0, tzinfo=UTC)
PEOPLE = range(1_000, 1_400)


def generic_plan(connection: Connection, statement: Select[Any], params: dict[str, Any]) -> str:
    """EXPLAIN of the plan PostgreSQL keeps for the prepared statement, made without parameter values."""
    numbered: Any = postgresql.psycopg.dialect  # `$1, $2 …` as PREPARE wants them
    compiled = statement.compile(dialect=numbered(paramstyle="numeric_dollar"))
    expanded = compiled.construct_expanded_state(params)  # `IN` lists written out, as when executed
    driver: Any = connection.connection.driver_connection
    values = [sql.Literal(expanded.parameters[name]).as_string(driver) for name in expanded.positiontup or []]
    connection.exec_driver_sql(f"PREPARE batch_read AS {expanded.statement}")
    connection.exec_driver_sql("SET plan_cache_mode = force_generic_plan")
    rows = connection.exec_driver_sql(f"EXPLAIN EXECUTE batch_read({', '.join(values)})")
    plan = "\n".join(row[0] for row in rows)
    connection.exec_driver_sql("DEALLOCATE batch_read")
    return plan


@pytest.fixture
def populated(postgres_url: str) -> Callable[[], Connection]:
    """Residents and chat states of 400 people, on tables never analysed."""
    engine = make_engine(postgres_url)
    upgrade(engine)
    with SqlUnitOfWorkFactory(engine)() as uow:
        uow.residents.find_or_create_many(
            residents=[
                Resident(id=None, channel="telegram", external_id=n, display_name="R", created_at=NOW)
                for n in PEOPLE
            ]
        )
        uow.conversations.save_many(
            conversations=[Conversation(channel="telegram", chat_id=n, updated_at=NOW) for n in PEOPLE]
        )
        uow.commit()
    with engine.connect() as connection:
        stats = connection.exec_driver_sql(
            "SELECT relname, reltuples FROM pg_class WHERE relname IN ('residents', 'conversations')"
        )
        assert all(tuples < 0 for _, tuples in stats)  # never analysed: the case that went wrong
    return engine.connect


@pytest.mark.parametrize(
    ("statements", "table", "keys"),
    [
        (_FIND_RESIDENTS, "residents", "external_ids"),
        (_LOAD_MANY, "conversations", "chat_ids"),
        (_AWAITING_CHATS, "followups", "chat_ids"),
    ],
)
def test_each_chat_of_a_batch_is_an_index_look_up(
    populated: Callable[[], Connection], statements: Prepared, table: str, keys: str
) -> None:
    statement = statements.statement("postgresql")
    assert isinstance(statement, Select)
    with populated() as connection:
        params = {"channel": "telegram", keys: list(PEOPLE[:16])}
        plan = generic_plan(connection, statement, params)
    assert "Nested Loop" in plan, plan
    assert "Scan using" in plan and "= k.key)" in plan, plan  # the key is in the index condition
    assert f"Seq Scan on {table}" not in plan and "Bitmap" not in plan, plan
