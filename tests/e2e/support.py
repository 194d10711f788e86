"""Running the real Telegram stack for end-to-end tests: aiogram long-polling a fake Bot API server, the
engine on SQLite, the outbox sender delivering over HTTP."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.app import App, build_app
from bot.settings import Settings
from bot.telegram.callbacks import ActionCallback
from bot.telegram.runner import make_bot
from bot.telegram.service import serve_telegram
from dialogs.nlu.feedback import FeedbackReader
from dialogs.nlu.types import NluBackend
from tests.conftest import START
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


@contextlib.asynccontextmanager
async def serving(app: App) -> AsyncIterator[FakeBotApi]:
    """`app` serving a fake Bot API until the block ends; the app is closed afterwards."""
    async with FakeBotApi() as api:
        bot = make_bot(api.token, api.base_url)
        stop = asyncio.Event()
        task = asyncio.create_task(serve_telegram(app, bot, stop=stop))
        try:
            yield api
        finally:
            stop.set()
            await asyncio.wait_for(task, timeout=10)
            await bot.session.close()
            app.close()


def e2e_settings(tmp_path: Path) -> Settings:
    """Settings on a fresh SQLite file, with the staff group."""
    return Settings.from_env(
        {"FRONTDESK_VAR_DIR": str(tmp_path / "var"), "FRONTDESK_STAFF_CHAT_ID": str(STAFF_CHAT)}
    )


@pytest.fixture
async def running(tmp_path: Path, nlu: NluBackend) -> AsyncIterator[tuple[FakeBotApi, App]]:
    """The bot serving a fake Bot API (real clock: the sender's rate limits wait in real time)."""
    app = build_app(e2e_settings(tmp_path), nlu=nlu)
    async with serving(app) as api:
        yield api, app


class RunningClock:
    """Simulated time that runs at wall-clock speed from `start` and can be moved forward.

    A frozen `FakeClock` would strand what the sender postpones for Telegram's pacing (its retry time
    comes from the clock, which would never reach it); this one lets a test jump to "tomorrow morning"
    while the sender's short waits still pass.
    """

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("RunningClock needs an aware datetime")
        self._start = start.astimezone(UTC)
        self._origin = time.monotonic()

    def now(self) -> datetime:
        """The simulated time: the start plus the real time elapsed since."""
        return self._start + timedelta(seconds=time.monotonic() - self._origin)

    def set(self, when: datetime) -> None:
        """Jump forward to an aware time (time keeps running from there)."""
        if when < self.now():
            raise ValueError("a running clock only moves forward")
        self._start, self._origin = when.astimezone(UTC), time.monotonic()


@pytest.fixture
async def running_clocked(
    tmp_path: Path, nlu: NluBackend, feedback: FeedbackReader
) -> AsyncIterator[tuple[FakeBotApi, App, RunningClock]]:
    """`running` on a `RunningClock` starting Friday 27 November 2026, 10:00 in Shanghai (office hours)."""
    clock = RunningClock(START)
    app = build_app(e2e_settings(tmp_path), clock=clock, nlu=nlu, feedback=feedback)
    async with serving(app) as api:
        yield api, app, clock
