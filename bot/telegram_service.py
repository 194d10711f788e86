"""Serving residents on Telegram: long polling in, the outbox sender out, both on one event loop.

A handler only translates the update and calls the engine; the engine has stored the replies in the
outbox by the time it returns, and the sender (woken at once) delivers them within Telegram's limits.
"""

from __future__ import annotations

import asyncio
import logging

from aiogram import Bot

from bot.app import App
from bot.outbox import OutboxSender
from bot.scheduler import start_ticker
from bot.telegram.ratelimit import TelegramRateLimiter
from bot.telegram.runner import build_dispatcher, run_polling
from bot.telegram.transport import TelegramTransport
from dialogs.messages import ALERT, ChannelName, IncomingMessage

log = logging.getLogger(__name__)

COMMANDS = ("start", "mytickets", "lang", "cancel", "help")


def command_menu(app: App) -> list[tuple[str, str]]:
    """The command menu in the site's default language."""
    lang = app.site.default_language
    return [(name, app.catalog.t(lang, f"command.{name}")) for name in COMMANDS]


async def serve_telegram(app: App, bot: Bot, *, stop: asyncio.Event | None = None) -> None:
    """Poll for updates and deliver replies until stopped (SIGINT/SIGTERM, or `stop` when given)."""
    sender = OutboxSender(
        app.uow_factory,
        TelegramTransport(bot),
        app.clock,
        limiter=TelegramRateLimiter(),
        on_blocked=lambda chat_id: log.warning("resident blocked the bot", extra={"chat_id": chat_id}),
    )

    async def on_message(message: IncomingMessage) -> str | None:
        # The engine's NLU and database work is blocking: it runs in a worker thread so polling, callback
        # answers and the sender keep going; the per-chat lock around this handler keeps each chat in order.
        replies = await asyncio.to_thread(app.engine.handle, message)
        sender.wake()
        return next((r.reply.text for r in replies if r.audience == ALERT), None)

    dispatcher = build_dispatcher(on_message)
    sender_stop = asyncio.Event()
    sender_task = asyncio.create_task(sender.run(sender_stop, interval=1.0))
    scheduler = start_ticker(app.ticker(ChannelName.TELEGRAM), sender)
    try:
        await run_polling(bot, dispatcher, command_menu(app), handle_signals=stop is None, stop=stop)
    finally:
        scheduler.shutdown(wait=False)
        sender_stop.set()
        await sender_task
