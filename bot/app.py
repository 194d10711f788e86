"""The composition root: the one place where settings become wired objects.

Everything the bot runs on (database engine, unit of work, NLU, site, catalogue, clock, dialog engine) is
built here from `Settings`, so commands, channels and tests get the same wiring and nothing is created at
import time.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy.engine import Engine as SqlEngine

from bot.nlu_factory import make_nlu
from bot.settings import Settings
from dialogs.clock import Clock, SystemClock
from dialogs.engine import Engine
from dialogs.escalation import PromiseKeeper
from dialogs.i18n import Catalog
from dialogs.messages import ChannelName
from dialogs.nlu.types import NluBackend
from dialogs.site import SiteConfig, load_site
from dialogs.ticker import Ticker
from storage.database import make_engine, upgrade
from storage.uow import SqlUnitOfWorkFactory

log = logging.getLogger(__name__)


@dataclass
class App:
    """The wired application."""

    settings: Settings
    site: SiteConfig
    catalog: Catalog
    clock: Clock
    db: SqlEngine
    uow_factory: SqlUnitOfWorkFactory
    nlu: NluBackend
    engine: Engine

    def ticker(self, channel: ChannelName) -> Ticker:
        """The periodic jobs (promises and daily digest, …), sending on `channel`."""
        keeper = PromiseKeeper(
            site=self.site, catalog=self.catalog, channel=channel, staff_chat_id=self.settings.staff_chat_id
        )
        return Ticker(uow_factory=self.uow_factory, clock=self.clock, jobs=[keeper])

    def close(self) -> None:
        """Release database connections."""
        self.db.dispose()


def load_site_for(settings: Settings) -> SiteConfig:
    """The site file named by the settings (or the packaged default), with the time zone override."""
    site = load_site(settings.site_config)
    if settings.timezone and settings.timezone != site.timezone:
        site = SiteConfig.model_validate({**site.model_dump(), "timezone": settings.timezone})
    return site


def build_app(
    settings: Settings,
    *,
    clock: Clock | None = None,
    nlu: NluBackend | None = None,
    migrate: bool | None = None,
) -> App:
    """Wire the application. SQLite databases are migrated at start-up; PostgreSQL only when asked."""
    site = load_site_for(settings)
    catalog = Catalog.load()
    db = make_engine(settings.database_url)
    if migrate if migrate is not None else db.dialect.name == "sqlite":
        upgrade(db)
    uow_factory = SqlUnitOfWorkFactory(db)
    if nlu is None:
        nlu = make_nlu(settings.nlu_spec, settings.nlu_data_dir, settings.nlu_cache_dir)
    clock = clock or SystemClock()
    engine = Engine(
        uow_factory=uow_factory,
        clock=clock,
        nlu=nlu,
        site=site,
        catalog=catalog,
        staff_chat_id=settings.staff_chat_id,
    )
    return App(
        settings=settings,
        site=site,
        catalog=catalog,
        clock=clock,
        db=db,
        uow_factory=uow_factory,
        nlu=nlu,
        engine=engine,
    )
