"""The database goes away under a running webhook worker: updates are refused (not acknowledged), the
worker reports not ready, and once the database is back the redelivered updates are handled — once."""

from __future__ import annotations

import asyncio
import secrets
from pathlib import Path

import aiohttp
import pytest
from sqlalchemy import func
from sqlalchemy.engine import make_url
from sqlmodel import Session, select

from bot.telegram.webhook import WEBHOOK_PATH
from dialogs.nlu.feedback import FeedbackReader
from dialogs.nlu.types import NluBackend
from storage.database import make_engine, upgrade
from storage.tables import ProcessedUpdateRow
from tests.fake_bot_api import FakeBotApi
from tests.production.processes import BotProcess, bot_env, free_port, throwaway_postgres
from tests.production.support import Updates, deliver, post_update
from tests.production.tcp_proxy import TcpProxy

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

RESIDENT = 7201


async def test_updates_are_refused_while_the_database_is_away_and_handled_after(
    tmp_path: Path, nlu: NluBackend, feedback: FeedbackReader
) -> None:
    """`nlu` and `feedback` make sure the models are cached before the process loads them."""
    with throwaway_postgres(f"frontdesk_away_{secrets.token_hex(4)}") as url:
        db = make_engine(url)
        upgrade(db)
        proxy = TcpProxy("127.0.0.1", 5432)
        await proxy.start()
        through_proxy = make_url(url).set(port=proxy.port).render_as_string(hide_password=False)
        async with (
            FakeBotApi() as api,
            aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as http,
        ):
            env = bot_env(
                api_base=api.base_url, token=api.token, database_url=through_proxy, var_dir=tmp_path / "var"
            )
            port = free_port()
            worker = BotProcess(
                "web", ["run", "--webhook", "--listen", f"127.0.0.1:{port}"], env, port, tmp_path
            )
            worker.start()
            webhook = worker.base_url + WEBHOOK_PATH
            try:
                await worker.wait_healthy(http)
                updates = Updates()
                await deliver(http, webhook, updates.text(RESIDENT, "/start"))
                await api.wait_for_messages(RESIDENT, 2, timeout=30)

                await proxy.cut()
                room = updates.text(RESIDENT, "我家是3栋2单元502")
                for _ in range(3):  # Telegram retrying during the outage: never acknowledged
                    assert await post_update(http, webhook, room) == 503
                    await asyncio.sleep(0.3)
                async with http.get(worker.base_url + "/readyz") as response:
                    assert response.status == 503
                async with http.get(worker.base_url + "/healthz") as response:
                    assert response.status == 200  # alive: do not restart it, just route around it

                await proxy.restore()
                await deliver(http, webhook, room)
                await post_update(http, webhook, room)  # a late duplicate: acknowledged, no effect
                (ask_phone,) = (await api.wait_for_messages(RESIDENT, 3, timeout=30))[2:]
                assert "电话" in (ask_phone.text or "")
                async with http.get(worker.base_url + "/readyz") as response:
                    assert response.status == 200
            finally:
                assert await worker.stop() == 0, worker.log_tail()
                await proxy.close()
        with Session(db) as session:
            assert session.exec(select(func.count()).select_from(ProcessedUpdateRow)).one() == 2
        assert len(api.sent_messages(RESIDENT)) == 3, worker.log_tail()
        db.dispose()
