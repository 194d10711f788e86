"""`frontdesk followups run-due`: asks what is due at --now, delivers it, prints a summary, and exits."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from click.testing import CliRunner

from benchmarks.followups_bench import seed_due_followups
from bot.cli import cli
from bot.settings import Settings
from storage.database import make_engine, upgrade


def test_run_due_sends_what_is_due_and_reports_it(tmp_path: Path) -> None:
    env = {"FRONTDESK_VAR_DIR": str(tmp_path / "var"), "TELEGRAM_BOT_TOKEN": ""}
    engine = make_engine(Settings.from_env(env).database_url)
    upgrade(engine)
    due = datetime(2026, 11, 28, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
    seed_due_followups(engine, 3, due_at=due, channel="console")
    engine.dispose()
    runner = CliRunner()

    early = runner.invoke(cli, ["followups", "run-due", "--now", "2026-11-28T09:59"], env=env)
    assert early.exit_code == 0, early.output
    assert "asked 0 (late 0)" in early.output

    result = runner.invoke(cli, ["followups", "run-due", "--now", "2026-11-28T10:00"], env=env)
    assert result.exit_code == 0, result.output
    assert result.output.count("【回访】") + result.output.count("[Follow-up]") == 3
    assert "asked 3 (late 0)" in result.output and "messages delivered 3" in result.output

    again = runner.invoke(cli, ["followups", "run-due", "--now", "2026-11-28T10:05"], env=env)
    assert "asked 0" in again.output and "【回访】" not in again.output

    later = (due + timedelta(hours=48)).isoformat()
    reminded = runner.invoke(cli, ["followups", "run-due", "--now", later], env=env)
    assert "reminded 3" in reminded.output and "【回访提醒】" in reminded.output
    bad = runner.invoke(cli, ["followups", "run-due", "--now", "tomorrow"], env=env)
    assert bad.exit_code != 0 and "not an ISO date-time" in bad.output
