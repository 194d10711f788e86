"""Wiring aiogram: the bot client, a dispatcher whose handlers only translate, and the polling loop.

Handlers are deliberately thin: translate the update, hand it to `on_message` (the engine side), done.
Replies do not go back through the handler; the engine stores them in the outbox and the sender delivers
them, so a reply survives a crash between handling and sending. Updates of one chat are handled one at a
time and in order (aiogram runs updates as concurrent tasks), updates of different chats in parallel.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any

from aiogram import BaseMiddleware, Bot, Dispatcher, Router
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import TelegramAPIError
from aiogram.types import BotCommand, CallbackQuery, Chat, Message, TelegramObject, Update, User

from bot.telegram.translate import from_callback_query, from_message
from dialogs.messages import IncomingMessage

__all__ = ["ChatOrderMiddleware", "OnMessage", "build_dispatcher", "make_bot", "run_polling"]

logger = logging.getLogger(__name__)

# The engine side; it may return a short alert for the person who pressed a button (shown as a pop-up).
OnMessage = Callable[[IncomingMessage], Awaitable[str | None]]
Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]


def make_bot(token: str, api_base: str) -> Bot:
    """A bot that calls `{api_base}/bot{token}/{method}` (the real API, a local server or a test fake)."""
    session = AiohttpSession(api=TelegramAPIServer.from_base(api_base))
    return Bot(token=token, session=session)


class ChatOrderMiddleware(BaseMiddleware):
    """Serialises updates per chat with one `asyncio.Lock` per active chat (FIFO, so order is kept).

    Locks are dropped when nobody holds or waits for them, so the map only holds busy chats. This orders a
    chat within one process; across webhook workers the engine's transaction takes the chat's database lock
    (`dialogs.ports.ChatLocks`), and this lock keeps a process's own updates from waiting on it there (a
    worker has one engine thread: a wait in the database holds up every chat of the process).
    """

    def __init__(self) -> None:
        self._locks: dict[int, asyncio.Lock] = {}
        self._users: dict[int, int] = {}

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        chat: Chat | None = data.get("event_chat")
        user: User | None = data.get("event_from_user")
        key = chat.id if chat else user.id if user else None
        if key is None:
            return await handler(event, data)
        lock = self._locks.setdefault(key, asyncio.Lock())
        self._users[key] = self._users.get(key, 0) + 1
        try:
            async with lock:
                return await handler(event, data)
        finally:
            self._users[key] -= 1
            if self._users[key] == 0:
                del self._users[key], self._locks[key]

    @property
    def active_chats(self) -> int:
        """Chats with an update in progress or waiting (for tests and metrics)."""
        return len(self._locks)


def _router(on_message: OnMessage) -> Router:
    router = Router(name="frontdesk")

    # `event_update` (injected by aiogram) carries the update id the engine records to drop redeliveries.
    @router.message()
    async def handle_message(message: Message, event_update: Update) -> None:
        await on_message(replace(from_message(message), update_id=event_update.update_id))

    @router.callback_query()
    async def handle_callback(query: CallbackQuery, event_update: Update) -> None:
        alert = await on_message(replace(from_callback_query(query), update_id=event_update.update_id))
        await _answer_quietly(query, alert)  # stops the button's spinner; a refusal pops up for the presser

    @router.edited_message()
    async def handle_edit(message: Message, event_update: Update) -> None:
        # Not re-read (the original already acted); in a private chat the person is told to send a new one.
        if message.chat.type != "private":
            logger.debug("edited group message ignored", extra={"chat_id": message.chat.id})
            return
        await on_message(replace(from_message(message), update_id=event_update.update_id, edited=True))

    return router


async def _answer_quietly(query: CallbackQuery, alert: str | None = None) -> None:
    """Answering too late (> ~15 s) fails with 400; the press itself is still worth handling."""
    try:
        if alert:
            await query.answer(text=alert[:200], show_alert=True)
        else:
            await query.answer()
    except TelegramAPIError as error:
        logger.info("callback query not answered: %s", type(error).__name__)


def build_dispatcher(on_message: OnMessage) -> Dispatcher:
    """A dispatcher without aiogram FSM (state lives in our database) that feeds `on_message`."""
    dispatcher = Dispatcher(disable_fsm=True)
    dispatcher.update.outer_middleware(ChatOrderMiddleware())
    dispatcher.include_router(_router(on_message))
    return dispatcher


async def _prepare(bot: Bot, commands: list[tuple[str, str]]) -> None:
    """Best-effort setup: emulators and local servers often lack these methods; polling works anyway."""
    try:
        await bot.set_my_commands([BotCommand(command=name, description=text) for name, text in commands])
    except Exception as error:
        logger.warning("setMyCommands failed, continuing without a command menu: %s", error)
    try:
        await bot.delete_webhook(drop_pending_updates=False)
    except Exception as error:
        logger.warning("deleteWebhook failed, polling may conflict with a webhook: %s", error)


async def run_polling(
    bot: Bot,
    dispatcher: Dispatcher,
    commands: list[tuple[str, str]],
    *,
    polling_timeout: int = 30,
    handle_signals: bool = True,
    stop: asyncio.Event | None = None,
) -> None:
    """Register commands, then long-poll until `stop` is set, `dispatcher.stop_polling()`, or a signal.

    `stop` may be set at any time, even before polling has started (when `stop_polling` would raise).
    The bot's HTTP session is left open: the outbox sender shares the bot, and its owner closes it.
    """
    await _prepare(bot, commands)
    watcher = _stop_when_set(dispatcher, stop) if stop is not None else None
    try:
        await dispatcher.start_polling(
            bot,
            polling_timeout=polling_timeout,
            handle_signals=handle_signals,
            close_bot_session=False,
        )
    finally:
        if watcher is not None:
            watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watcher


def _stop_when_set(dispatcher: Dispatcher, stop: asyncio.Event) -> asyncio.Task[None]:
    """A task that stops polling once `stop` is set and polling has started (`stop_polling` needs both)."""
    started = asyncio.Event()

    async def mark_started() -> None:
        started.set()

    # Registered before start_polling runs: its startup hooks fire inside it, once stop_polling can work.
    dispatcher.startup.register(mark_started)

    async def watch() -> None:
        await stop.wait()
        await started.wait()
        await dispatcher.stop_polling()

    return asyncio.create_task(watch())
