"""Hot-path statements run on the driver's cursor, without SQLAlchemy's work per execution.

Every batch of incoming messages runs about a dozen statements (lock, claim, the reads ahead, the new
tickets, the closing writes). Through `Connection.execute` each one also pays for SQLAlchemy's cache key,
execution context, parameter dictionary, result metadata (which makes psycopg describe every column) and
row objects: in the load benchmark that was a fifth of the engine thread's time on PostgreSQL, more than
the driver's own. A `Prepared` statement is still written as a Core construct (one source of truth for
tables and types), compiled once per dialect; what it does per execution is only what the construct
needs: its bind processors, the driver's `execute`, its result processors, a named tuple per row.

What it keeps of SQLAlchemy: a driver error is raised as SQLAlchemy's exception for it (a lost connection
invalidated, so the pool replaces it), and `before_cursor_execute` listeners still see every statement
(tests count statements with them; the cursor they are given is None, and `after_cursor_execute` and
`handle_error` are not called). What it refuses: constructs whose SQL depends on the values bound
(expanding `IN` lists), which cannot be compiled once; bind a list as an array instead.
"""

from __future__ import annotations

import sqlite3
from collections import namedtuple
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, NoReturn

import psycopg
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.exc import DBAPIError, MultipleResultsFound, NoResultFound, StatementError
from sqlalchemy.sql.base import Executable
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ClauseElement

__all__ = ["Pending", "Prepared", "driver_errors_translated"]

_DRIVER_ERRORS = (psycopg.Error, sqlite3.Error)
_Processor = Callable[[Any], Any] | None


@dataclass(frozen=True)
class _Plan:
    """A statement compiled for one dialect, with what its executions need."""

    sql: str
    names: tuple[str, ...]  # the bind parameters, in the SQL's positional order
    processors: tuple[_Processor, ...]  # each one's bind processor
    defaults: dict[str, Any]  # values bound when the statement was built (a `LIMIT 1`), used if not given
    positional: bool  # qmark (sqlite3) rather than named (psycopg's pyformat)
    row: type[tuple[Any, ...]] | None  # a named tuple of the result columns; None if nothing returned
    results: tuple[_Processor, ...]

    def parameters(self, values: Mapping[str, Any]) -> list[Any] | dict[str, Any]:
        """The driver's parameters: processed values, in order (qmark) or by name (pyformat)."""
        if self.defaults:
            values = self.defaults | dict(values)
        try:
            processed = [
                values[name] if process is None else process(values[name])
                for name, process in zip(self.names, self.processors, strict=True)
            ]
        except KeyError as missing:
            raise ValueError(f"no value bound for parameter {missing}") from None
        except Exception as error:  # a type refused a value (a naive datetime): as SQLAlchemy reports it
            raise StatementError(
                f"({type(error).__module__}.{type(error).__name__}) {error}", self.sql, dict(values), error
            ) from error
        if self.positional:
            return processed
        return dict(zip(self.names, processed, strict=True))

    def make_rows(self, raw: list[Any]) -> list[Any]:
        row = self.row
        assert row is not None
        results = self.results
        if not any(results):
            return [row(*values) for values in raw]
        return [
            row(*(v if process is None else process(v) for process, v in zip(results, values, strict=True)))
            for values in raw
        ]


def _compile(statement: Executable, dialect: Dialect) -> _Plan:
    if not isinstance(statement, ClauseElement):
        raise TypeError(f"not a Core statement: {statement!r}")
    compiled = statement.compile(dialect=dialect)
    assert isinstance(compiled, SQLCompiler)
    if compiled.post_compile_params or compiled.literal_execute_params:
        raise ValueError("a prepared statement cannot expand lists into its SQL: bind an array instead")
    processors = compiled._bind_processors
    if compiled.positional:
        assert compiled.positiontup is not None
        names: Sequence[str] = compiled.positiontup
    else:
        names = list(compiled.bind_names.values())
    escaped = compiled.escaped_bind_names
    if escaped:
        raise ValueError("bind parameter names must be plain identifiers")
    defaults = {
        name: bind.effective_value
        for bind, name in compiled.bind_names.items()
        if name in names and not bind.required and bind.callable is None
    }
    defaults |= _column_defaults(compiled.insert_prefetch, "default")
    defaults |= _column_defaults(compiled.update_prefetch, "onupdate")
    columns = compiled._result_columns
    row: type[tuple[Any, ...]] | None = None
    results: tuple[_Processor, ...] = ()
    if columns:
        row = _row_type([entry[0] for entry in columns])
        results = tuple(entry[3]._cached_result_processor(dialect, None) for entry in columns)
    return _Plan(
        sql=compiled.string,
        names=tuple(names),
        processors=tuple(_single(processors.get(name)) for name in names),
        defaults=defaults,
        positional=compiled.positional,
        row=row,
        results=results,
    )


def _column_defaults(columns: Sequence[Any], which: str) -> dict[str, Any]:
    """The values of columns whose Python-side default SQLAlchemy would bind at execution (`version=1`);
    a default computed per row (a callable) cannot be prepared once."""
    found: dict[str, Any] = {}
    for column in columns:
        default = getattr(column, which)
        if default is None or not default.is_scalar:
            raise ValueError(f"column {column.key} has a default computed per row: bind it explicitly")
        found[column.key] = default.arg
    return found


def _row_type(names: list[str]) -> type[tuple[Any, ...]]:
    """A named tuple class with the result columns' names (attribute access as on SQLAlchemy's rows)."""
    make: Any = namedtuple  # mypy wants literal field names
    row: type[tuple[Any, ...]] = make("Row", names, rename=True)
    return row


def _single(processor: object) -> _Processor:
    """A bind processor; the per-element ones of tuple types (`IN` of tuples) are not supported."""
    if processor is None or callable(processor):
        return processor
    raise ValueError("tuple-valued bind parameters are not supported in a prepared statement")


def _raise_translated(error: Exception, connection: Connection, sql: str | None, params: Any) -> NoReturn:
    """Raise the driver's `error` as SQLAlchemy would have (a lost connection invalidated, and the pool's
    other connections with it). Inside a pipeline the error may be any earlier statement's, whose answer
    came with this one's: it is not attributed to this statement."""
    driver = connection.connection.driver_connection
    if isinstance(driver, psycopg.Connection) and driver.pgconn.pipeline_status != _PIPELINE_OFF:
        sql, params = None, None
    reported: Any = error  # the dialect's stubs know DB-API errors only in general
    lost = connection.dialect.is_disconnect(reported, connection.connection, None)
    if lost and not connection.invalidated:
        # As SQLAlchemy's own handling: the pool's other connections date from before the disconnect too
        # (a server restart), so all are replaced, not each by the batch that draws it.
        connection.engine.pool._invalidate(connection.connection, error)
        connection.invalidate(error)
    base = psycopg.Error if isinstance(error, psycopg.Error) else sqlite3.Error
    raise DBAPIError.instance(
        sql, params, error, base, connection_invalidated=lost, dialect=connection.dialect
    ) from error


@contextmanager
def driver_errors_translated(connection: Connection) -> Iterator[None]:
    """Driver errors raised in the block come out as SQLAlchemy's exceptions (see `_raise_translated`)."""
    try:
        yield
    except _DRIVER_ERRORS as error:
        _raise_translated(error, connection, None, None)


class Prepared:
    """One Core statement (or one per dialect name), compiled on first use, run on the driver's cursor.

    Rows are named tuples of the statement's result columns, values processed by their column types as
    SQLAlchemy would (a `UTCDateTime` comes back aware, JSON decoded).
    """

    def __init__(self, statement: Executable | Mapping[str, Executable]) -> None:
        self._statement = statement
        self._plans: dict[str, _Plan] = {}

    def statement(self, dialect_name: str) -> Executable:
        """The Core statement run on that dialect."""
        if isinstance(self._statement, Mapping):
            return self._statement[dialect_name]
        return self._statement

    def _plan(self, dialect: Dialect) -> _Plan:
        plan = self._plans.get(dialect.name)
        if plan is None:
            plan = self._plans[dialect.name] = _compile(self.statement(dialect.name), dialect)
        return plan

    def rows(self, connection: Connection, values: Mapping[str, Any]) -> list[Any]:
        """Every result row."""
        plan = self._plan(connection.dialect)
        return _fetched(connection, plan, self._run(connection, plan, values, _cursor(connection)))

    def send(self, connection: Connection, values: Mapping[str, Any]) -> Pending:
        """Run it now, read its rows later: inside `UnitOfWork.sent_together` the statement goes out with
        the others and its answer comes with theirs, in one round trip, when the first of them is read."""
        plan = self._plan(connection.dialect)
        driver = connection.connection.driver_connection
        assert driver is not None
        cursor = self._run(connection, plan, values, driver.cursor())
        if not isinstance(driver, psycopg.Connection):
            # SQLite has no round trip to save, and a statement left unfinished would stay open in the
            # file beside the transaction's writes: read at once.
            return Pending(connection, plan, cursor, rows=_fetched(connection, plan, cursor))
        return Pending(connection, plan, cursor)

    def one(self, connection: Connection, values: Mapping[str, Any]) -> Any:
        """The one result row (SQLAlchemy's `NoResultFound` / `MultipleResultsFound` otherwise)."""
        found = self.one_or_none(connection, values)
        if found is None:
            raise NoResultFound("No row was found when one was required")
        return found

    def one_or_none(self, connection: Connection, values: Mapping[str, Any]) -> Any:
        """The result row, or None if there is none (`MultipleResultsFound` if there are several)."""
        rows = self.rows(connection, values)
        if len(rows) > 1:
            raise MultipleResultsFound("Multiple rows were found when one or none was required")
        return rows[0] if rows else None

    def scalar(self, connection: Connection, values: Mapping[str, Any]) -> Any:
        """The first column of the one result row."""
        return self.one(connection, values)[0]

    def execute(self, connection: Connection, values: Mapping[str, Any]) -> None:
        """Run it for its effect; nothing is read back."""
        self._run(connection, self._plan(connection.dialect), values, _cursor(connection))

    def execute_many(self, connection: Connection, values: Sequence[Mapping[str, Any]]) -> None:
        """Run it once per set of values (psycopg sends them all before reading any answer)."""
        if not values:
            return
        plan = self._plan(connection.dialect)
        params = [plan.parameters(v) for v in values]
        self._notify(connection, plan, params, many=True)
        cursor = _cursor(connection)
        try:
            cursor.executemany(plan.sql, params)
        except _DRIVER_ERRORS as error:
            _raise_translated(error, connection, plan.sql, params)

    def _run(self, connection: Connection, plan: _Plan, values: Mapping[str, Any], cursor: Any) -> Any:
        params = plan.parameters(values)
        self._notify(connection, plan, params, many=False)
        try:
            cursor.execute(plan.sql, params)
        except _DRIVER_ERRORS as error:
            _raise_translated(error, connection, plan.sql, params)
        return cursor

    @staticmethod
    def _notify(connection: Connection, plan: _Plan, params: Any, *, many: bool) -> None:
        """Tell `before_cursor_execute` listeners, as SQLAlchemy's own execution does."""
        if connection._has_events or connection.engine._has_events:
            connection.dispatch.before_cursor_execute(connection, None, plan.sql, params, None, many)


class Pending:
    """A statement sent (`Prepared.send`) whose rows have not been read yet."""

    def __init__(
        self, connection: Connection, plan: _Plan, cursor: Any, *, rows: list[Any] | None = None
    ) -> None:
        self._connection = connection
        self._plan = plan
        self._cursor = cursor
        self._rows = rows

    def rows(self) -> list[Any]:
        """Its result rows (waiting for them if they have not come yet); read once."""
        try:
            if self._rows is not None:
                return self._rows
            return _fetched(self._connection, self._plan, self._cursor)
        finally:
            self._cursor.close()


def _fetched(connection: Connection, plan: _Plan, cursor: Any) -> list[Any]:
    try:
        raw = cursor.fetchall()
    except _DRIVER_ERRORS as error:
        _raise_translated(error, connection, plan.sql, None)
    return plan.make_rows(raw)


_CURSOR = "frontdesk.cursor"
_PIPELINE_OFF = psycopg.pq.PipelineStatus.OFF


def _cursor(connection: Connection) -> Any:
    """The driver connection's cursor, made once per connection (psycopg's costs ~15 µs to make); a fresh
    one inside a pipeline. A psycopg cursor holds the last result that arrived for it: with one cursor for
    the whole pipeline, the claim read after the lock and the inserts (all answered later, the server
    sending early ones as its buffer fills) could be handed an earlier statement's result."""
    pooled = connection.connection
    driver = pooled.driver_connection
    assert driver is not None
    if isinstance(driver, psycopg.Connection) and driver.pgconn.pipeline_status != _PIPELINE_OFF:
        return driver.cursor()
    cursor = pooled.info.get(_CURSOR)
    if cursor is None or cursor.connection is not driver:
        cursor = pooled.info[_CURSOR] = driver.cursor()
    return cursor
