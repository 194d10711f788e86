"""Running the real Telegram stack for end-to-end tests: aiogram long-polling a fake Bot API server, the
engine on SQLite, the outbox sender delivering over HTTP."""

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
from dialogs.nlu.types import NluBackend
from tests.fake_bot_api import FakeBotApi, SentMessage

RESIDENT = 5550001


class Session:
    """One resident: drives the fake server and waits for the bot's answers."""

    def __init__(self, api: FakeBotApi, user_id: int = RESIDENT, language_code: str = "zh-hans") -> None:
        self.api = api
        self.user_id = user_id
        self.language_code = language_code
        self.seen = 0

    async def answers(self, n: int) -> list[SentMessage]:
        sent = await self.api.wait_for_messages(self.user_id, self.seen + n, timeout=15)
        new, self.seen = sent[self.seen :], len(sent)
        return new

    async def say(self, text: str, n: int = 1) -> list[SentMessage]:
        self.api.push_text(self.user_id, text, language_code=self.language_code)
        return await self.answers(n)

    async def press(self, message: SentMessage, label: str, n: int = 1) -> list[SentMessage]:
        for row in message.inline_buttons():
            for button in row:
                if label in button["text"]:
                    ActionCallback.unpack(button["callback_data"])  # typed, not a free string
                    self.api.push_callback(self.user_id, message.message_id, button["callback_data"])
                    return await self.answers(n)
        raise AssertionError(f"no button {label!r} in {message.inline_buttons()}")


STAFF_CHAT = -1009999


@pytest.fixture
async def running(tmp_path: Path, nlu: NluBackend) -> AsyncIterator[tuple[FakeBotApi, App]]:
    """The bot serving a fake Bot API (real clock: the sender's rate limits wait in real time)."""
    settings = Settings.from_env(
        {"FRONTDESK_VAR_DIR": str(tmp_path / "var"), "FRONTDESK_STAFF_CHAT_ID": str(STAFF_CHAT)}
    )
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
