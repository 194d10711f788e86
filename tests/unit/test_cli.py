"""The `frontdesk` command as a real process: piped console chat, staff registry, migrations, errors."""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FRONTDESK = [sys.executable, "-m", "bot"]


def run(args: list[str], env: dict[str, str], stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*FRONTDESK, *args], input=stdin, capture_output=True, text=True, env=env, cwd=ROOT, timeout=120
    )


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    clean = {
        key: value for key, value in os.environ.items() if not key.startswith(("TELEGRAM_", "FRONTDESK_"))
    }
    clean["FRONTDESK_VAR_DIR"] = str(tmp_path / "var")
    clean["FRONTDESK_NLU_CACHE"] = str(ROOT / "var" / "nlu")
    return clean


def test_piped_chat_creates_a_ticket_that_outlives_the_process(env: dict[str, str], tmp_path: Path) -> None:
    script = "\n".join(
        [
            "/start",
            "3栋2单元502",
            "/contact 13812345678",
            "3栋2单元502厨房水管漏水了，明天下午三点来修吧",
            "2",
            "1",
        ]
    )
    result = run(["chat", "--user-id", "42"], env, stdin=script + "\n")
    assert result.returncode == 0, result.stderr
    assert "> 3栋2单元502厨房水管漏水了" in result.stdout  # piped lines are echoed as a transcript
    assert "报修已登记，单号 R" in result.stdout
    reference = result.stdout.split("单号 ")[1][:11]
    with sqlite3.connect(tmp_path / "var" / "frontdesk.db") as db:
        rows = db.execute("SELECT reference, category FROM tickets").fetchall()
    assert rows == [(reference, "plumbing")]


def test_run_without_token_explains_in_one_line(env: dict[str, str]) -> None:
    result = run(["run"], env)
    assert result.returncode != 0
    assert "TELEGRAM_BOT_TOKEN" in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_staff_registry_and_migrations(env: dict[str, str]) -> None:
    assert run(["db", "upgrade"], env).stdout.strip() == "database is up to date"
    added = run(
        [
            "staff",
            "add",
            "--telegram-id",
            "777",
            "--name",
            "王师傅",
            "--role",
            "technician",
            "--skills",
            "plumbing,electrical",
        ],
        env,
    )
    assert added.returncode == 0, added.stderr
    listed = run(["staff", "list"], env)
    assert "777\t王师傅\ttechnician\tplumbing,electrical\tactive" in listed.stdout
    assert run(["staff", "set-skills", "--telegram-id", "777", "lifts"], env).returncode == 0
    assert run(["staff", "remove", "--telegram-id", "777"], env).returncode == 0
    listed = run(["staff", "list"], env)
    assert "777\t王师傅\ttechnician\tlifts\tinactive" in listed.stdout
    missing = run(["staff", "remove", "--telegram-id", "4242"], env)
    assert missing.returncode != 0 and "no staff member" in missing.stderr
    bad = run(["staff", "add", "--telegram-id", "1", "--name", "x", "--role", "boss"], env)
    assert bad.returncode != 0 and "boss" in bad.stderr


@pytest.mark.parametrize(
    "command",
    [
        [],
        ["run"],
        ["chat"],
        ["staff"],
        ["staff", "add"],
        ["staff", "list"],
        ["staff", "remove"],
        ["staff", "set-skills"],
        ["db"],
        ["db", "upgrade"],
        ["household"],
        ["household", "show"],
        ["nlu"],
    ],
)
def test_every_command_has_help(command: list[str], env: dict[str, str]) -> None:
    result = run([*command, "--help"], env)
    assert result.returncode == 0 and "Usage:" in result.stdout


def test_console_plays_every_role(env: dict[str, str]) -> None:
    env = {**env, "FRONTDESK_STAFF_CHAT_ID": "-100"}
    added = run(["staff", "add", "--telegram-id", "502", "--name", "王建国", "--role", "technician"], env)
    assert added.returncode == 0, added.stderr
    script = [
        "/start",
        "3栋2单元502",
        "/contact 13812345678",
        "3栋2单元502厨房水管漏水了，明天下午三点来修吧",
        "1",  # skip the photo
        "1",  # submit
        "/as 999",
        "1",  # an outsider presses 接单 on the group card
        "/as 502",
        "1",  # the technician accepts
    ]
    result = run(["chat", "--user-id", "10001"], env, stdin="\n".join(script) + "\n")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    card = re.search(r"\[staff\] 【报修 (R\d{10})】待受理", out)  # the number carries today's date
    assert card is not None, out
    reference = card.group(1)
    assert out.index("没有权限") < out.index("已由王师傅受理")
    assert f"[→10001] 您的工单 {reference} 已由王师傅受理" in out
    assert f"[staff] (updated) 【报修 {reference}】已受理" in out


def test_household_show(env: dict[str, str]) -> None:
    script = ["3栋2单元502厨房水管漏水了，明天下午三点来修吧，电话13812345678", "1", "1"]
    assert run(["chat", "--user-id", "77"], env, stdin="\n".join(script) + "\n").returncode == 0
    shown = run(["household", "show", "3栋2单元502"], env)
    assert shown.returncode == 0, shown.stderr
    assert (
        "【一户一档】3栋2单元502" in shown.stdout
        and re.search(r"R\d{10}", shown.stdout)
        and "138****5678" in shown.stdout
    )
