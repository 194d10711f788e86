"""The composition root: the one place where settings become wired objects.

Everything the bot runs on (database engine, unit of work, NLU, site, catalogue, clock, dialog engine) is
built here from `Settings`, so commands, channels and tests get the same wiring and nothing is created at
import time.
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cached_property

from sqlalchemy.engine import Engine as SqlEngine

from bot.nlu_factory import make_feedback_reader, make_nlu
from bot.records_files import ExportDir, FileArchiveStore, archive_dir, export_dir
from bot.reports.files import FileReportRenderer
from bot.settings import Settings
from dialogs.clock import Clock, SystemClock
from dialogs.engine import Engine
from dialogs.escalation import PromiseKeeper
from dialogs.flood import FloodGuard
from dialogs.followup.job import BlockedChats, FollowUpJob
from dialogs.housekeeping import ProcessedUpdatePruner
from dialogs.i18n import Catalog
from dialogs.messages import ChannelName
from dialogs.nlu.feedback import FeedbackReader
from dialogs.nlu.types import NluBackend
from dialogs.records.archive import QuarterlyArchive
from dialogs.records.retention import RetentionJob
from dialogs.reports.delivery import MonthlyReportJob
from dialogs.site import SiteConfig, load_site
from dialogs.survey.sender import SurveySender
from dialogs.ticker import PeriodicJob, Ticker
from storage.database import make_engine, upgrade
from storage.uow import SqlUnitOfWorkFactory

log = logging.getLogger(__name__)

# Threads running the engine's blocking turns beside the event loop: one, on either database. Updates that
# arrive meanwhile wait for it and then share a transaction (`bot.telegram.batching`), so under load the
# batches grow instead of the threads. SQLite has one writer anyway (a second thread would only wait on the
# file lock). On PostgreSQL more threads would overlap one batch's round trips with another's work, but
# they contend for the interpreter lock with each other and the event loop: in the load benchmark one
# worker did ~1,050 updates/s with one thread, ~950 with two and ~800 with four. A site scales out with
# more worker processes (`deploy/`), not threads.
ENGINE_THREADS = 1


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
    feedback: FeedbackReader  # reads residents' answers to follow-up calls (rating, sentiment, solved)

    @cached_property
    def engine_executor(self) -> ThreadPoolExecutor:
        """Where channels run the engine's turns."""
        return ThreadPoolExecutor(max_workers=ENGINE_THREADS, thread_name_prefix="engine")

    def ticker(self, channel: ChannelName) -> Ticker:
        """The periodic jobs (promises and daily digest, …), sending on `channel`."""
        keeper = PromiseKeeper(
            site=self.site, catalog=self.catalog, channel=channel, staff_chat_id=self.settings.staff_chat_id
        )
        surveys = SurveySender(site=self.site, catalog=self.catalog, channel=channel)
        archives = FileArchiveStore(archive_dir(self.settings))  # quarterly archive, expired by retention
        records: list[PeriodicJob] = [
            QuarterlyArchive(site=self.site, store=archives),
            RetentionJob(site=self.site, archives=archives, exports=ExportDir(export_dir(self.settings))),
        ]
        pruner = ProcessedUpdatePruner()  # forgets update ids Telegram can no longer redeliver
        renderer = FileReportRenderer(site=self.site, catalog=self.catalog, var_dir=self.settings.var_dir)
        reports = MonthlyReportJob(site=self.site, catalog=self.catalog, channel=channel, renderer=renderer)
        followups = self.followup_job()
        return Ticker(
            uow_factory=self.uow_factory,
            clock=self.clock,
            jobs=[keeper, surveys, *records, pruner, reports, followups],
        )

    def followup_job(self) -> FollowUpJob:
        """The callback follow-ups' periodic job (回访: ask when due, remind once, hand to staff)."""
        return FollowUpJob(site=self.site, catalog=self.catalog, staff_chat_id=self.settings.staff_chat_id)

    def blocked_chats(self) -> BlockedChats:
        """What the outbox sender calls on a 403: the resident is unreachable, follow-ups go to staff."""
        return BlockedChats(
            uow_factory=self.uow_factory,
            clock=self.clock,
            site=self.site,
            catalog=self.catalog,
            staff_chat_id=self.settings.staff_chat_id,
        )

    def close(self) -> None:
        """Stop the engine's threads (if started) and release database connections."""
        if "engine_executor" in self.__dict__:
            self.engine_executor.shutdown(wait=True)
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
    feedback: FeedbackReader | None = None,
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
    if feedback is None:
        feedback = make_feedback_reader(settings.nlu_cache_dir)
    clock = clock or SystemClock()
    engine = Engine(
        uow_factory=uow_factory,
        clock=clock,
        nlu=nlu,
        site=site,
        catalog=catalog,
        staff_chat_id=settings.staff_chat_id,
        flood=FloodGuard(channels={ChannelName.TELEGRAM.value}),  # the local console needs no flood limit
        exports=ExportDir(export_dir(settings)),
        feedback=feedback,
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
        feedback=feedback,
    )
