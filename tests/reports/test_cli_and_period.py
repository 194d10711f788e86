"""`frontdesk report monthly` on a database holding October, and the report month's edges and due day."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from bot.cli import cli
from dialogs.reports.period import ReportMonth, first_working_day, month_containing, report_due_at
from dialogs.site import SiteConfig, load_site
from storage.database import make_engine, upgrade
from storage.uow import SqlUnitOfWorkFactory
from tests.reports.month import MonthWriter, write_month


@pytest.fixture
def var_with_october(tmp_path: Path) -> Path:
    var = tmp_path / "var"
    var.mkdir()
    engine = make_engine(f"sqlite:///{var / 'frontdesk.db'}")
    upgrade(engine)
    writer = MonthWriter(SqlUnitOfWorkFactory(engine), load_site())
    writer.add_staff()
    write_month(writer, ReportMonth.parse("2026-10", writer.site))
    engine.dispose()
    return var


def test_the_command_writes_each_format_with_its_chart(var_with_october: Path, tmp_path: Path) -> None:
    env = {"FRONTDESK_VAR_DIR": str(var_with_october)}
    out = tmp_path / "out" / "october.xlsx"
    result = CliRunner().invoke(cli, ["report", "monthly", "--month", "2026-10", "--out", str(out)], env=env)
    assert result.exit_code == 0, result.output
    assert result.output.split() == [str(out), str(out.with_suffix(".png"))]
    sheet = load_workbook(out)["投诉汇总"]
    assert sheet["A2"].value == "投诉合计" and sheet["C2"].value == 19
    md = tmp_path / "october.md"
    result = CliRunner().invoke(
        cli, ["report", "monthly", "--month", "2026-10", "--out", str(md), "--lang", "en"], env=env
    )
    assert result.exit_code == 0, result.output
    assert md.read_text(encoding="utf-8").startswith(
        "# Happy Home Property Service Center monthly service report"
    )
    page = tmp_path / "october.report"
    result = CliRunner().invoke(
        cli, ["report", "monthly", "--month", "2026-10", "--out", str(page), "--format", "html"], env=env
    )
    assert result.exit_code == 0 and page.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


def test_the_command_refuses_a_bad_month(var_with_october: Path, tmp_path: Path) -> None:
    env = {"FRONTDESK_VAR_DIR": str(var_with_october)}
    result = CliRunner().invoke(
        cli, ["report", "monthly", "--month", "2026-13", "--out", str(tmp_path / "x.xlsx")], env=env
    )
    assert result.exit_code != 0 and "YYYY-MM" in result.output


def test_month_edges_are_local() -> None:
    site = load_site()
    october = ReportMonth.parse("2026-10", site)
    assert october.start == datetime(2026, 9, 30, 16, 0, tzinfo=UTC)  # 00:00 in Shanghai
    assert october.end == datetime(2026, 10, 31, 16, 0, tzinfo=UTC)
    assert month_containing(datetime(2026, 10, 31, 16, 30, tzinfo=UTC), site).label == "2026-11"
    assert ReportMonth.parse("2026-01", site).previous(site).label == "2025-12"
    assert ReportMonth.parse("2026-12", site).end == datetime(2026, 12, 31, 16, 0, tzinfo=UTC)


def test_the_report_is_due_on_the_first_working_day() -> None:
    site = load_site()
    weekdays_only = SiteConfig.model_validate(
        {
            **site.model_dump(),
            "office_hours": {"start": "08:30", "end": "17:30", "weekdays": [1, 2, 3, 4, 5]},
            "holidays": [date(2026, 10, 1), date(2026, 10, 2)],
            "workdays_extra": [date(2026, 11, 1)],
        }
    )
    october = ReportMonth.parse("2026-10", weekdays_only)
    assert first_working_day(october, weekdays_only) == date(2026, 10, 5)  # 1–2 holidays, 3–4 weekend
    november = ReportMonth.parse("2026-11", weekdays_only)
    assert first_working_day(november, weekdays_only) == date(2026, 11, 1)  # a make-up Sunday
    assert report_due_at(october, weekdays_only, time(9)) == datetime(2026, 10, 5, 1, 0, tzinfo=UTC)
