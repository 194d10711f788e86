"""Alembic environment for the front desk's schema.

Called by `storage.database.upgrade` with an open connection in `config.attributes["connection"]`, or by
the `alembic` command line (`alembic -c storage/alembic.ini -x url=sqlite:///var/frontdesk.db upgrade
head`). SQLite gets batch mode, since it can alter a table only by copying it.
"""

from __future__ import annotations

from typing import Any, Literal

from alembic import context
from alembic.autogenerate.api import AutogenContext
from sqlalchemy.engine import Connection
from sqlmodel.sql.sqltypes import AutoString

from storage.database import make_engine, normalise_url
from storage.tables import TableBase

target_metadata = TableBase.metadata


def _url() -> str:
    url = context.get_x_argument(as_dictionary=True).get("url") or context.config.get_main_option(
        "sqlalchemy.url"
    )
    if not url:
        raise RuntimeError("no database URL: pass -x url=... or set sqlalchemy.url")
    return normalise_url(url).render_as_string(hide_password=False)


def _render_item(type_: str, obj: Any, autogen_context: AutogenContext) -> str | Literal[False]:
    """Write SQLModel's `AutoString` as plain `sa.String`, so migrations do not import SQLModel."""
    if type_ == "type" and isinstance(obj, AutoString):
        return f"sa.String(length={obj.length})" if obj.length else "sa.String()"
    return False


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        render_item=_render_item,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_offline() -> None:
    """Emit SQL to stdout instead of running it (`alembic upgrade head --sql`)."""
    context.configure(url=_url(), target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    """Run against the shared connection if given, else against a fresh engine."""
    shared = context.config.attributes.get("connection")
    if isinstance(shared, Connection):
        _run(shared)
        return
    engine = make_engine(_url())
    try:
        with engine.connect() as connection:
            _run(connection)
            connection.commit()
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
