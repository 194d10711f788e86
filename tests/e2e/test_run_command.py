"""`frontdesk run` as a real process against a Bot API server on 127.0.0.1: it answers /start over HTTP,
tolerates an emulator without setMyCommands, and stops cleanly on SIGTERM."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

from tests.fake_bot_api import FakeBotApi

ROOT = Path(__file__).resolve().parents[2]


async def test_run_serves_telegram_and_stops_on_sigterm(tmp_path: Path) -> None:
    async with FakeBotApi() as api:
        api.fail_set_my_commands = True  # like an emulator
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "FRONTDESK_"))},
            "TELEGRAM_BOT_TOKEN": api.token,
            "TELEGRAM_API_BASE": api.base_url,
            "FRONTDESK_VAR_DIR": str(tmp_path / "var"),
            "FRONTDESK_NLU_CACHE": str(ROOT / "var" / "nlu"),
        }
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", env=env, cwd=ROOT, stderr=asyncio.subprocess.PIPE
        )
        try:
            api.push_text(4242, "/start")
            greeting, ask_room = await api.wait_for_messages(4242, 2, timeout=60)
            assert "您好" in (greeting.text or "") and "房号" in (ask_room.text or "")
        finally:
            process.send_signal(signal.SIGTERM)
            _, stderr = await asyncio.wait_for(process.communicate(), timeout=30)
        assert process.returncode == 0, stderr.decode()[-2000:]
