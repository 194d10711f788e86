"""The webhook application in process: the secret is checked, an update is acknowledged only once its
effects are committed, a redelivered update has no second effect, a failure is refused so Telegram retries,
and the health, readiness and metrics routes answer."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import aiohttp
import pytest
from aiohttp.test_utils import TestServer
from sqlalchemy import func
from sqlmodel import Session, select

from bot.app import App
from bot.outbox import OutboxSender
from bot.telegram.runner import make_bot
from bot.telegram.transport import TelegramTransport
from bot.telegram.webhook import MAX_FAILURES, WEBHOOK_PATH, make_webhook_app
from storage.tables import OutboxRow, ProcessedUpdateRow
from tests.fake_bot_api import FakeBotApi
from tests.production.support import SECRET, Updates, deliver, post_update

RESIDENT = 7001


@dataclass
class Running:
    app: App
    api: FakeBotApi
    url: str
    base: str
    http: aiohttp.ClientSession
    sender: OutboxSender


@pytest.fixture
async def running(app: App) -> AsyncIterator[Running]:
    async with FakeBotApi() as api:
        bot = make_bot(api.token, api.base_url)
        server = TestServer(make_webhook_app(app, bot, secret=SECRET))
        await server.start_server()
        base = str(server.make_url("")).rstrip("/")
        sender = OutboxSender(app.uow_factory, TelegramTransport(bot), app.clock)
        try:
            async with aiohttp.ClientSession() as http:
                yield Running(app, api, base + WEBHOOK_PATH, base, http, sender)
        finally:
            await server.close()
            await bot.session.close()


def outbox_rows(app: App) -> int:
    with Session(app.db) as session:
        return session.exec(select(func.count()).select_from(OutboxRow)).one()


def processed(app: App) -> int:
    with Session(app.db) as session:
        return session.exec(select(func.count()).select_from(ProcessedUpdateRow)).one()


async def test_update_is_committed_before_200_and_a_redelivery_has_no_effect(running: Running) -> None:
    updates = Updates()
    start = updates.text(RESIDENT, "/start")
    assert await post_update(running.http, running.url, start) == 200
    after_first = outbox_rows(running.app)
    assert after_first >= 2 and processed(running.app) == 1  # committed when the 200 came back

    assert await post_update(running.http, running.url, start) == 200  # Telegram redelivers
    assert outbox_rows(running.app) == after_first and processed(running.app) == 1

    await running.sender.flush()
    greeting, ask_room = running.api.sent_messages(RESIDENT)
    assert "您好" in (greeting.text or "") and "房号" in (ask_room.text or "")

    assert await post_update(running.http, running.url, updates.text(RESIDENT, "3栋2单元502")) == 200
    assert outbox_rows(running.app) > after_first and processed(running.app) == 2


async def test_button_press_through_the_webhook(running: Running) -> None:
    updates = Updates()
    await deliver(running.http, running.url, updates.text(RESIDENT, "/lang"))
    await running.sender.flush()
    (choice,) = running.api.sent_messages(RESIDENT)
    press = updates.press(RESIDENT, choice, "English")
    assert await post_update(running.http, running.url, press) == 200
    assert await post_update(running.http, running.url, press) == 200  # redelivered press: no second effect
    await running.sender.flush()
    sent = running.api.sent_messages(RESIDENT)
    assert len(sent) == 2 and "English" in (sent[1].text or "")
    assert len(running.api.calls_to("answerCallbackQuery")) == 2  # each delivery stops the button's spinner


async def test_wrong_secret_and_garbage_are_refused_without_effects(running: Running) -> None:
    updates = Updates()
    assert (
        await post_update(running.http, running.url, updates.text(RESIDENT, "/start"), secret="nope") == 401
    )
    async with running.http.post(
        running.url, data=b"{not json", headers={"X-Telegram-Bot-Api-Secret-Token": SECRET}
    ) as r:
        assert r.status == 400
    async with running.http.post(
        running.url, json={"no": "update"}, headers={"X-Telegram-Bot-Api-Secret-Token": SECRET}
    ) as r:
        assert r.status == 400
    assert outbox_rows(running.app) == 0 and processed(running.app) == 0


async def test_a_failing_update_is_refused_and_handled_on_redelivery(
    running: Running, monkeypatch: pytest.MonkeyPatch
) -> None:
    updates = Updates()
    start = updates.text(RESIDENT, "/start")
    handle = running.app.engine.handle

    def database_away(*args: object, **kwargs: object) -> object:
        raise ConnectionError("database unreachable")

    monkeypatch.setattr(running.app.engine, "handle", database_away)
    assert await post_update(running.http, running.url, start) == 503
    assert outbox_rows(running.app) == 0
    monkeypatch.setattr(running.app.engine, "handle", handle)
    assert await post_update(running.http, running.url, start) == 200
    assert outbox_rows(running.app) >= 2 and processed(running.app) == 1


async def test_an_update_that_always_fails_is_dropped_after_a_few_refusals(
    running: Running, monkeypatch: pytest.MonkeyPatch
) -> None:
    def bug(*args: object, **kwargs: object) -> object:
        raise ValueError("a bug this update triggers")

    monkeypatch.setattr(running.app.engine, "handle", bug)
    poison = Updates().text(RESIDENT, "/start")
    statuses = [await post_update(running.http, running.url, poison) for _ in range(MAX_FAILURES)]
    assert statuses == [503] * (MAX_FAILURES - 1) + [200]  # then acknowledged: later updates are not stalled


async def test_health_readiness_and_metrics(running: Running) -> None:
    await deliver(running.http, running.url, Updates().text(RESIDENT, "/start"))
    async with running.http.get(running.base + "/healthz") as response:
        assert response.status == 200
    async with running.http.get(running.base + "/readyz") as response:
        assert response.status == 200, await response.text()
    async with running.http.get(running.base + "/metrics") as response:
        assert response.status == 200
        page = await response.text()
    assert 'frontdesk_updates_total{outcome="handled"} 1.0' in page
    assert "frontdesk_update_seconds_count 1.0" in page
    assert 'frontdesk_outbox_depth{status="pending"} 2.0' in page
    assert 'frontdesk_promises{state="at_risk"} 0.0' in page
    assert "frontdesk_followups_due 0.0" in page


async def test_readiness_fails_when_the_schema_is_behind(running: Running) -> None:
    with running.app.db.begin() as connection:
        connection.exec_driver_sql("UPDATE alembic_version SET version_num = '0007'")
    async with running.http.get(running.base + "/readyz") as response:
        assert response.status == 503
        assert "0007" in (await response.json())["reason"]
