"""`frontdesk survey create/start/status/close` through click's CliRunner on a fresh SQLite database."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli import cli
from bot.settings import Settings
from dialogs.survey.model import Answer
from storage.database import make_engine, upgrade
from storage.uow import SqlUnitOfWorkFactory
from tests.surveys.support import add_household

T0 = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> SqlUnitOfWorkFactory:
    """Ten households in building 3 on the database the CLI will use."""
    for key in [k for k in os.environ if k.startswith("FRONTDESK_")]:
        monkeypatch.delenv(key)
    monkeypatch.setenv("FRONTDESK_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("FRONTDESK_LOG_LEVEL", "WARNING")
    engine = make_engine(Settings.from_env().database_url)
    upgrade(engine)
    uow = SqlUnitOfWorkFactory(engine)
    with uow() as work:
        for n in range(10):
            add_household(work, f"3-1-{n:03d}", building="3", users=[90000 + n], now=T0)
        add_household(work, "5-1-101", building="5", users=[91000], now=T0)
        work.commit()
    return uow


def test_create_start_status_close(database: SqlUnitOfWorkFactory) -> None:
    runner = CliRunner()
    created = runner.invoke(
        cli,
        ["survey", "create", "--name", "2026年度满意度调查", "--building", "3", "--sample", "0.5",
         "--rate", "10/min", "--reminder-days", "2"],
    )  # fmt: skip
    assert created.exit_code == 0, created.output
    assert "created survey 1" in created.output and "5 households" in created.output
    assert "10/min" in created.output and "after 2 days" in created.output

    started = runner.invoke(cli, ["survey", "start", "1"])
    assert started.exit_code == 0 and "running" in started.output

    with database() as work:  # two forms sent; one fully returned, one half answered
        sent = work.surveys.claim_due(campaign_id=1, now=T0, limit=2)
        campaign = work.surveys.get_campaign(campaign_id=1)
        assert campaign is not None
        for n, dimension in enumerate(campaign.dimensions):
            work.surveys.record_answer(answer=Answer(sent[0].id or 0, dimension, 5 if n < 7 else 2, None, T0))
        work.surveys.record_answer(answer=Answer(sent[1].id or 0, "heating", 4, None, T0))
        work.surveys.mark_completed(delivery_id=sent[0].id or 0, now=T0)
        work.surveys.mark_finished(delivery_id=sent[0].id or 0, comment="电梯维修太慢", now=T0)
        work.commit()

    status = runner.invoke(cli, ["survey", "status", "1"])
    assert status.exit_code == 0, status.output
    text = status.output
    assert "2026年度满意度调查" in text and "进行中" in text
    assert "目标住户 5 户，已发放 2 份（发放率 40.0%）" in text
    assert "收回 1 份，回收率 50.0%" in text
    assert "总体满意率 72.7%（8/11" in text  # 7 of 10, plus the other form's 4
    assert "供暖：100.0%（2 份评价" in text
    assert "员工服务态度：0.0%（1 份评价" in text
    assert "电梯（1）" in text and "维修（1）" in text

    closed = runner.invoke(cli, ["survey", "close", "1"])
    assert closed.exit_code == 0 and "closed" in closed.output
    again = runner.invoke(cli, ["survey", "start", "1"])
    assert again.exit_code == 1 and "only a draft can start" in again.output


def test_bad_options_are_reported_plainly(database: SqlUnitOfWorkFactory) -> None:
    runner = CliRunner()
    bad_rate = runner.invoke(cli, ["survey", "create", "--name", "x", "--rate", "fast"])
    assert bad_rate.exit_code == 2 and "forms per minute" in bad_rate.output
    bad_share = runner.invoke(cli, ["survey", "create", "--name", "x", "--sample", "2"])
    assert bad_share.exit_code == 1 and "sample share" in bad_share.output
    missing = runner.invoke(cli, ["survey", "status", "42"])
    assert missing.exit_code == 1 and "no survey campaign 42" in missing.output
