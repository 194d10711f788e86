"""A database holding a realistic October 2026 (tickets, callbacks, two survey campaigns), written once per
module, and the report computed from it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from dialogs.followup.records import FollowUp
from dialogs.i18n import Catalog
from dialogs.reports.delivery import compute_report
from dialogs.reports.monthly import MonthlyReport
from dialogs.reports.period import ReportMonth
from dialogs.site import SiteConfig, load_site
from storage.database import make_engine, upgrade
from storage.uow import SqlUnitOfWorkFactory
from tests.reports.month import MonthWriter, SurveyFacts, write_callbacks, write_month, write_surveys


@dataclass
class Month:
    """The written month: the writer's stories, the callback records, the campaigns, and the report."""

    site: SiteConfig
    month: ReportMonth
    writer: MonthWriter
    followups: list[FollowUp]
    surveys: tuple[SurveyFacts, SurveyFacts]
    report: MonthlyReport
    uow_factory: SqlUnitOfWorkFactory


@pytest.fixture(scope="package")
def catalog() -> Catalog:
    """The packaged catalogues."""
    return Catalog.load()


@pytest.fixture(scope="package")
def october(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Month]:
    """October 2026 on a fresh SQLite file."""
    path: Path = tmp_path_factory.mktemp("reports") / "month.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    factory = SqlUnitOfWorkFactory(engine)
    site = load_site()
    month = ReportMonth.parse("2026-10", site)
    writer = MonthWriter(factory, site)
    writer.add_staff()
    write_month(writer, month)
    followups = write_callbacks(writer, month)
    surveys = write_surveys(writer, month)
    with factory() as uow:
        report = compute_report(uow, month, site)
    yield Month(site, month, writer, followups, surveys, report, factory)
    engine.dispose()
