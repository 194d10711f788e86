"""`frontdesk chat --demo`: a database of its own with staff, and a clock that `/time` moves."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.console_demo import TimeError, move_clock
from dialogs.clock import FakeClock
from dialogs.site import load_site
from tests.unit.test_cli import env, run

__all__ = ["env"]


def test_time_moves_the_clock_and_fires_what_fell_due(env: dict[str, str], tmp_path: Path) -> None:
    script = [
        "3栋2单元502卫生间下水道堵了，明天上午十点来，电话13812345678",
        "跳过",
        "确认",
        "/time",
        "/time +2h",
        "/time 2020-01-01 10:00",
    ]
    result = run(["chat", "--demo", "--start", "2026-11-27 10:00"], env, stdin="\n".join(script) + "\n")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "演示模式" in out and "王师傅 900002" in out
    assert "[staff] 【报修 R2611270001】待受理" in out
    before, after = out.split("> /time +2h")
    assert "模拟时间：11月27日 10:00" in before and "⚠️ 超时" not in before
    # Two hours without anyone accepting: the group is reminded, the supervisor and the manager are told.
    assert "🕒 模拟时间：11月27日 12:00" in after
    assert "[→900003] ⚠️ 超时" in after and "[→900004] 🚨 严重超时" in after
    assert "时钟只能往前拨" in after
    assert not (tmp_path / "var" / "frontdesk.db").exists()  # the real database is never touched


def test_time_arguments() -> None:
    site = load_site(None)
    clock = FakeClock(datetime(2026, 11, 27, 2, 0, tzinfo=UTC))
    assert move_clock(clock, "+1d2h30m", site) == datetime(2026, 11, 28, 4, 30, tzinfo=UTC)
    moved = move_clock(clock, "2026-12-01 10:00", site)
    assert moved == datetime(2026, 12, 1, 10, 0, tzinfo=ZoneInfo(site.timezone))
    for bad in ("+", "+3x", "+3d tomorrow", "soon", "2026-11-01 10:00"):
        with pytest.raises(TimeError):
            move_clock(clock, bad, site)
