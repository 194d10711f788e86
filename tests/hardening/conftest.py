"""Feeding raw updates through the real aiogram dispatcher into the real engine (SQLite, fake clock).

The bot client points at the fake Bot API, so answering a button press is a real HTTP call; replies are
what the engine committed (returned by `Engine.handle`, the same rows the outbox holds). The engine's flood
guard records its verdicts, so a test can tell a message dropped on purpose from one that went unanswered.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime

import pytest
from aiogram import Bot, Dispatcher
from aiogram.types import Update

from bot.app import App
from bot.telegram.runner import build_dispatcher, make_bot
from dialogs.engine import Engine
from dialogs.flood import FloodGuard, FloodLimits, FloodVerdict
from dialogs.messages import ALERT, ChannelName, IncomingMessage, Outgoing
from tests.fake_bot_api import FakeBotApi
from tests.hardening.updates import JsonDict, UpdateFactory


class RecordingFloodGuard(FloodGuard):
    """The real guard, remembering each verdict it gave."""

    def __init__(self, limits: FloodLimits | None = None) -> None:
        super().__init__(limits, channels={ChannelName.TELEGRAM.value})
        self.verdicts: list[FloodVerdict] = []

    def check(self, channel: str, user_id: int, now: datetime) -> FloodVerdict:
        verdict = super().check(channel, user_id, now)
        self.verdicts.append(verdict)
        return verdict


@dataclass
class Handled:
    """One message the dispatcher handed to the engine, and what the engine answered."""

    message: IncomingMessage
    replies: list[Outgoing]
    flood: FloodVerdict | None  # None when the guard was not asked (group chatter is ignored before it)

    def answers_chat(self) -> bool:
        """A chat message to where it came from, or a pop-up for the person who pressed."""
        return any(
            reply.chat_id == self.message.chat_id
            or (reply.audience == ALERT and reply.chat_id == self.message.user_id)
            for reply in self.replies
        )


@dataclass
class Feeder:
    """Feeds update JSON to the dispatcher and collects what the engine did with each."""

    app: App
    bot: Bot
    dispatcher: Dispatcher
    api: FakeBotApi
    guard: RecordingFloodGuard
    updates: UpdateFactory = field(default_factory=UpdateFactory)
    handled: list[Handled] = field(default_factory=list)

    async def feed(self, update: JsonDict) -> list[Handled]:
        """Run one update through the dispatcher; the engine calls it caused (none when ignored)."""
        before = len(self.handled)
        await self.dispatcher.feed_update(self.bot, Update.model_validate(update, context={"bot": self.bot}))
        return self.handled[before:]

    async def say(self, user_id: int, text: str, **options: object) -> list[Outgoing]:
        """A private text message; the replies to it."""
        return [
            reply
            for handled in await self.feed(self.updates.text(user_id, text, **options))
            for reply in handled.replies
        ]


def make_feeder(app: App, api: FakeBotApi, limits: FloodLimits | None = None) -> Feeder:
    """Rewire `app` with a recording flood guard and build a dispatcher over its engine."""
    guard = RecordingFloodGuard(limits)
    app.engine = Engine(
        uow_factory=app.uow_factory,
        clock=app.clock,
        nlu=app.nlu,
        site=app.site,
        catalog=app.catalog,
        staff_chat_id=app.settings.staff_chat_id,
        flood=guard,
    )
    feeder: Feeder

    async def on_message(message: IncomingMessage) -> str | None:
        asked = len(guard.verdicts)
        replies = app.engine.handle(message)
        verdict = guard.verdicts[-1] if len(guard.verdicts) > asked else None
        feeder.handled.append(Handled(message=message, replies=replies, flood=verdict))
        return next((r.reply.text for r in replies if r.audience == ALERT), None)

    feeder = Feeder(
        app=app,
        bot=make_bot(api.token, api.base_url),
        dispatcher=build_dispatcher(on_message),
        api=api,
        guard=guard,
    )
    return feeder


@pytest.fixture
async def fake_bot_api() -> AsyncIterator[FakeBotApi]:
    """A fake Bot API on 127.0.0.1 for the bot's calls (answering button presses)."""
    async with FakeBotApi() as api:
        yield api


@pytest.fixture
async def feeder(app: App, fake_bot_api: FakeBotApi) -> AsyncIterator[Feeder]:
    """The real dispatcher over the real engine, with the default flood limits."""
    fed = make_feeder(app, fake_bot_api)
    yield fed
    await fed.bot.session.close()
