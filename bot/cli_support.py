"""What the operator commands share: settings, the site and the database, without the NLU model.

Commands that never read free text (reports, surveys, records, follow-ups) need no model loaded; they get the
settings, the site file and a migrated database (SQLite is migrated on the spot, as at start-up), and an error
a person can fix ends in one clear line.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import click

from bot import logs
from bot.app import load_site_for
from bot.settings import Settings, SettingsError
from dialogs.site import SiteConfig, SiteConfigError
from storage.database import make_engine, upgrade
from storage.uow import SqlUnitOfWorkFactory

__all__ = ["command_context"]


@contextmanager
def command_context() -> Iterator[tuple[Settings, SiteConfig, SqlUnitOfWorkFactory]]:
    """Settings, site and a unit-of-work factory for one command; the engine is disposed at the end."""
    try:
        settings = Settings.from_env()
        site = load_site_for(settings)
    except (SettingsError, SiteConfigError) as exc:
        raise click.ClickException(str(exc)) from exc
    logs.configure(settings.log_level)
    engine = make_engine(settings.database_url)
    try:
        if engine.dialect.name == "sqlite":
            upgrade(engine)
        yield settings, site, SqlUnitOfWorkFactory(engine)
    finally:
        engine.dispose()
