"""The few statements whose SQL differs between SQLite and PostgreSQL.

Both dialects support `INSERT … ON CONFLICT` and `RETURNING` (SQLite ≥ 3.35), but SQLAlchemy exposes
them through per-dialect `insert` constructs; choosing the construct here keeps the repositories free of
dialect checks.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, TypeVar

from sqlalchemy import (
    JSON,
    ColumnElement,
    Select,
    Table,
    Text,
    bindparam,
    cast,
    column,
    func,
    literal_column,
    select,
    true,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.exc import StatementError
from sqlmodel import Session

from storage.prepared import Prepared
from storage.types import UTCDateTime

__all__ = ["ManyRows", "dialect_name", "literals", "per_dialect", "rows_for_keys", "upsert_insert"]

T = TypeVar("T")
_INSERTS: dict[str, Callable[[Any], postgresql.Insert | sqlite.Insert]] = {
    "postgresql": postgresql.insert,
    "sqlite": sqlite.insert,
}


def dialect_name(session: Session) -> str:
    """`"sqlite"` or `"postgresql"`: the dialect the session is bound to."""
    return session.get_bind().dialect.name


def upsert_insert(session: Session, table: Any) -> postgresql.Insert | sqlite.Insert:
    """An `INSERT` construct offering `on_conflict_do_*` for the session's database."""
    name = dialect_name(session)
    if name not in _INSERTS:
        raise NotImplementedError(f"unsupported database dialect: {name}")
    return _INSERTS[name](table)


def per_dialect(build: Callable[[Callable[[Any], postgresql.Insert | sqlite.Insert]], T]) -> dict[str, T]:
    """`build(insert)` once per dialect, keyed by dialect name: a statement built at import time, for a
    `storage.prepared.Prepared` to compile once per dialect."""
    return {name: build(insert) for name, insert in _INSERTS.items()}


def literals(values: Iterable[str]) -> list[ColumnElement[str]]:
    """Fixed strings (statuses) written into the SQL rather than bound: an `IN` list of them neither
    expands per execution (so the statement can be prepared once, `storage.prepared`) nor hides its values
    from the planner's generic plan (which can then use a partial index over them)."""
    return [literal_column(f"'{value}'") for value in values]


def rows_for_keys(statement: Select[Any], key: ColumnElement[Any], keys: str) -> dict[str, Select[Any]]:
    """`statement` narrowed to the rows whose `key` is one of the list bound as `keys` (a batch's chats),
    per dialect, in a shape whose plan does not depend on the tables' statistics.

    SQLite: `key IN (SELECT value FROM json_each(…))`, the list bound as one JSON text (so the SQL does
    not change with the list's length, see `storage.prepared`). PostgreSQL: the list as an array, each
    value looked up on its own (`unnest` with a lateral subquery; its `OFFSET 0` keeps the planner from
    merging it into one scan). A prepared `IN (…)` gets a generic plan after five runs, and while a table
    has no statistics (new, or autovacuum off) that plan can be "every row of the channel, filtered": in
    the load benchmark the residents read went from 0.1 ms to several and grew with every new resident. A
    unique-key look-up per value is the cheapest plan whatever the statistics say.
    """
    listed_json = func.json_each(bindparam(keys, type_=JSON())).table_valued("value")
    listed = statement.where(key.in_(select(listed_json.c.value)))
    array = bindparam(keys, type_=postgresql.ARRAY(key.type))
    values = func.unnest(array).table_valued("key").render_derived("k")
    each = statement.where(key == values.c.key).offset(0).lateral("each")
    looked_up = select(*each.c).select_from(values.join(each, true()))
    return {"sqlite": listed, "postgresql": looked_up}


class ManyRows:
    """An `INSERT` of a batch's rows (chat states, outbox rows) as one statement per dialect.

    PostgreSQL: the rows are bound as one JSON array and unpacked by `json_to_recordset`. psycopg's
    `executemany` prepares, dumps and pushes each row on its own even in a pipeline; in the load benchmark
    that was a fifth of the engine thread's time, and one JSON parameter costs a fraction of it (one
    `json.dumps`, one message). Timestamps travel as ISO text in UTC, checked as `UTCDateTime` checks them.
    A JSON column's value travels as its JSON text, cast back in SQL: unpacked as a JSON field, a
    `\u0000` in it (a file name, a forged button) would fail the whole batch, where the column itself
    stores it, and `None` would become SQL NULL rather than JSON `null`. Each row must give every column.
    SQLite: an `executemany`, which stays in the sqlite3 module's C code. `finish` adds what follows the
    rows (an `ON CONFLICT` clause), given each dialect's statement.
    """

    def __init__(
        self,
        table: Table,
        names: Sequence[str],
        finish: Callable[[Any], Any] = lambda statement: statement,
    ) -> None:
        self._names = frozenset(names)
        self._timestamps = frozenset(name for name in names if isinstance(table.c[name].type, UTCDateTime))
        self._documents = frozenset(name for name in names if isinstance(table.c[name].type, JSON))
        rows = (
            func.json_to_recordset(bindparam("rows", type_=JSON()))
            .table_valued(
                *(column(name, Text() if name in self._documents else table.c[name].type) for name in names)
            )
            .render_derived("r", with_types=True)
        )
        unpacked = select(
            *(cast(rows.c[name], JSON()) if name in self._documents else rows.c[name] for name in names)
        )
        self._postgresql = Prepared(finish(postgresql.insert(table).from_select(list(names), unpacked)))
        bound: dict[str, Any] = {name: bindparam(name) for name in names}
        self._sqlite = Prepared(finish(sqlite.insert(table).values(bound)))

    def write(self, connection: Connection, rows: Sequence[Mapping[str, Any]]) -> None:
        """Insert the rows (nothing for none)."""
        if not rows:
            return
        if connection.dialect.name != "postgresql":
            self._sqlite.execute_many(connection, rows)
            return
        try:
            as_json = [self._as_json(row, connection.dialect) for row in rows]
        except (TypeError, ValueError) as error:  # a naive timestamp, a missing column: as executemany says
            raise StatementError(f"({type(error).__name__}) {error}", None, None, error) from error
        self._postgresql.execute(connection, {"rows": as_json})

    def _as_json(self, row: Mapping[str, Any], dialect: Dialect) -> dict[str, Any]:
        if row.keys() != self._names:
            raise ValueError(f"a row must give exactly the columns {sorted(self._names)}")
        found = dict(row)
        for name in self._timestamps:
            stamp = UTCDateTime().process_bind_param(found[name], dialect)
            found[name] = None if stamp is None else stamp.isoformat()
        for name in self._documents:
            found[name] = json.dumps(found[name])  # as psycopg's `Json` dumps it for the column itself
        return found
