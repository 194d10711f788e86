"""A resident's whole first visit over real HTTP: aiogram long-polls a fake Bot API server, the engine
answers, the outbox sender delivers — /start, household linking, a repair report and /mytickets."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.app import App, build_app
from bot.settings import Settings
from bot.telegram.callbacks import ActionCallback
from bot.telegram.runner import make_bot
from bot.telegram_service import serve_telegram
from dialogs.domain import REFERENCE_PATTERN, TicketType
from dialogs.nlu.types import NluBackend
from tests.fake_bot_api import FakeBotApi, SentMessage

RESIDENT = 5550001


class Session:
    """Drives the fake server and waits for the bot's answers."""

    def __init__(self, api: FakeBotApi) -> None:
        self.api = api
        self.seen = 0

    async def answers(self, n: int) -> list[SentMessage]:
        sent = await self.api.wait_for_messages(RESIDENT, self.seen + n, timeout=15)
        new, self.seen = sent[self.seen :], len(sent)
        return new

    async def say(self, text: str, n: int = 1) -> list[SentMessage]:
        self.api.push_text(RESIDENT, text)
        return await self.answers(n)

    async def press(self, message: SentMessage, label: str, n: int = 1) -> list[SentMessage]:
        for row in message.inline_buttons():
            for button in row:
                if label in button["text"]:
                    ActionCallback.unpack(button["callback_data"])  # typed, not a free string
                    self.api.push_callback(RESIDENT, message.message_id, button["callback_data"])
                    return await self.answers(n)
        raise AssertionError(f"no button {label!r} in {message.inline_buttons()}")


@pytest.fixture
async def running(tmp_path: Path, nlu: NluBackend) -> AsyncIterator[tuple[FakeBotApi, App]]:
    settings = Settings.from_env({"FRONTDESK_VAR_DIR": str(tmp_path / "var")})
    app = build_app(settings, nlu=nlu)
    async with FakeBotApi() as api:
        bot = make_bot(api.token, api.base_url)
        stop = asyncio.Event()
        task = asyncio.create_task(serve_telegram(app, bot, stop=stop))
        try:
            yield api, app
        finally:
            stop.set()
            await asyncio.wait_for(task, timeout=10)
            await bot.session.close()
            app.close()


async def test_first_visit_repair_report_and_my_tickets(running: tuple[FakeBotApi, App]) -> None:
    api, app = running
    chat = Session(api)
    greeting, ask_room = await chat.say("/start", n=2)
    assert "您好" in (greeting.text or "") and "房号" in (ask_room.text or "")

    (ask_phone,) = await chat.say("我家是3栋2单元502")
    keyboard = (ask_phone.reply_markup or {}).get("keyboard")
    assert keyboard and keyboard[0][0]["request_contact"] is True

    api.push_contact(RESIDENT, "+8613812345678")
    linked, _help = await chat.answers(2)
    assert "3栋2单元502" in (linked.text or "") and "13812345678" in (linked.text or "")

    (ask_where,) = await chat.say("厨房水管漏水了，明天下午三点来修吧")
    assert "是您家" in (ask_where.text or "")  # room, category and time were understood; only "where?"
    (ask_photo,) = await chat.press(ask_where, "在我家")
    assert "照片" in (ask_photo.text or "")
    api.push_photo(RESIDENT)
    received, summary = await chat.answers(2)
    assert "照片已收到" in (received.text or "")
    assert "水管/漏水" in (summary.text or "") and "15:00" in (summary.text or "")

    (created,) = await chat.press(summary, "确认")
    assert "报修已登记" in (created.text or "")
    reference = (created.text or "").split("单号 ")[1][:11]
    assert REFERENCE_PATTERN.match(reference)

    (listing,) = await chat.say("/mytickets")
    assert reference in (listing.text or "") and "待受理" in (listing.text or "")

    with app.uow_factory() as uow:
        ticket = uow.tickets.get(reference=reference)
        assert ticket is not None and ticket.type is TicketType.REPAIR
        assert ticket.channel == "telegram" and ticket.chat_id == RESIDENT
        assert len(ticket.photos) == 1 and ticket.photos[0].startswith("AgAC-photo-")
    assert api.calls_to("setMyCommands"), "the command menu is registered (or its failure tolerated)"
