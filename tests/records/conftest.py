"""The records tests run on both databases: the purge and the archive are bulk SQL (anti-joins, bulk
updates and deletes) whose behaviour must not depend on the dialect."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pytest

from bot.app import App, build_app
from bot.settings import Settings
from dialogs.clock import FakeClock
from dialogs.nlu.feedback import FeedbackReader
from dialogs.nlu.types import NluBackend
from tests.storage.conftest import (  # noqa: F401 - fixtures, used by name
    db_url,
    postgres_database_url,
    postgres_url,
    sqlite_url,
)


@pytest.fixture
def app(
    db_url: str,  # noqa: F811 - the fixture imported above
    settings: Settings,
    clock: FakeClock,
    nlu: NluBackend,
    feedback: FeedbackReader,
) -> Iterator[App]:
    """The wired application on the fake clock, once on SQLite and once on PostgreSQL (migrated)."""
    application = build_app(
        replace(settings, database_url=db_url), clock=clock, nlu=nlu, feedback=feedback, migrate=True
    )
    yield application
    application.close()
