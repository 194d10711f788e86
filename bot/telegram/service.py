"""Serving residents on Telegram: updates in (long polling or a webhook), the outbox sender and the
ticker out, in one process or split across several.

A handler only translates the update and calls the engine; the engine has stored the replies in the
outbox by the time it returns, and the sender delivers them within Telegram's limits. The three ways to run:

- `serve_telegram`: one process long-polls, sends and ticks (a laptop, a small site);
- `serve_webhook`: the webhook application, with or without the sender and ticker in the same process;
- `run_worker`: only the sender and the ticker, for webhook workers that leave delivery to it.

Delivery and ticking are safe to run in several processes at once (outbox rows and schedule marks are
claimed in the database), but one worker keeps Telegram's per-bot rate limit in one place.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import AsyncIterator

from aiogram import Bot
from aiogram.methods import AnswerCallbackQuery, GetUpdates
from aiogram.types import BotCommand, Update
from aiohttp import web

from bot.app import App
from bot.metrics import Metrics
from bot.ops_http import add_ops_routes, app_metrics
from bot.outbox import OutboxSender, RetryPolicy
from bot.scheduler import start_ticker
from bot.telegram.handling import engine_on_message
from bot.telegram.lazy_models import build_now
from bot.telegram.ratelimit import TelegramRateLimiter
from bot.telegram.runner import build_dispatcher, run_polling
from bot.telegram.transport import TelegramTransport
from bot.telegram.webhook import WEBHOOK_PATH, make_webhook_app
from bot.wakeups import RedisWakeups
from dialogs.i18n import Catalog
from dialogs.messages import ChannelName
from dialogs.site import SiteConfig

log = logging.getLogger(__name__)

COMMANDS = ("start", "mytickets", "lang", "cancel", "help")
# What the handlers serve (edits too: the resident is asked to send a new one); Telegram sends nothing else.
ALLOWED_UPDATES = ["message", "edited_message", "callback_query"]


def command_menu(app: App) -> list[tuple[str, str]]:
    """The command menu in the site's default language."""
    return menu_for(app.site, app.catalog)


def menu_for(site: SiteConfig, catalog: Catalog) -> list[tuple[str, str]]:
    """The command menu of a site (without wiring a whole app, for `frontdesk set-webhook`)."""
    return [(name, catalog.t(site.default_language, f"command.{name}")) for name in COMMANDS]


def make_sender(app: App, bot: Bot, *, policy: RetryPolicy | None = None) -> OutboxSender:
    """The Telegram outbox sender, pacing itself to Telegram's limits. A 403 marks the resident unreachable
    and turns their open follow-up into a phone task for staff."""
    blocked = app.blocked_chats()
    build_now(*TelegramTransport.METHODS)
    return OutboxSender(
        app.uow_factory,
        TelegramTransport(bot),
        app.clock,
        limiter=TelegramRateLimiter(),
        on_blocked=lambda chat_id: asyncio.to_thread(blocked.blocked, ChannelName.TELEGRAM, chat_id),
        policy=policy,
    )


@contextlib.asynccontextmanager
async def delivering(
    app: App, bot: Bot, *, interval: float = 1.0, policy: RetryPolicy | None = None
) -> AsyncIterator[OutboxSender]:
    """Run the outbox sender and the ticker on this event loop while the block runs."""
    sender = make_sender(app, bot, policy=policy)
    sender_stop = asyncio.Event()
    sender_task = asyncio.create_task(sender.run(sender_stop, interval=interval))
    scheduler = start_ticker(app.ticker(ChannelName.TELEGRAM), sender)
    try:
        yield sender
    finally:
        scheduler.shutdown(wait=False)
        sender_stop.set()
        await sender_task


async def serve_telegram(app: App, bot: Bot, *, stop: asyncio.Event | None = None) -> None:
    """Poll for updates and deliver replies until stopped (SIGINT/SIGTERM, or `stop` when given)."""
    build_now(Update, AnswerCallbackQuery, GetUpdates)
    async with delivering(app, bot) as sender:
        on_message = engine_on_message(app, after_commit=sender.wake, wait_out_outages=True)
        dispatcher = build_dispatcher(on_message)
        await run_polling(bot, dispatcher, command_menu(app), handle_signals=stop is None, stop=stop)


async def serve_webhook(
    app: App,
    bot: Bot,
    *,
    host: str,
    port: int,
    secret: str,
    public_url: str | None = None,
    path: str = WEBHOOK_PATH,
    deliver: bool = True,
    metrics: Metrics | None = None,
    wakeups: RedisWakeups | None = None,
    stop: asyncio.Event | None = None,
) -> None:
    """Receive updates on `host:port` until stopped; with `deliver`, also send and tick in this process,
    else nudge the worker through `wakeups` (if given) after each update.

    With `public_url` (what Telegram reaches, e.g. the load balancer) the webhook is registered with the
    secret at start; several workers behind one balancer leave it to one of them or to the operator. On
    stop, the listener closes first and requests in flight finish before the process ends.
    """
    stop = stop or _signal_event()
    metrics = app_metrics(app, metrics)
    build_now(Update, AnswerCallbackQuery)
    async with contextlib.AsyncExitStack() as stack:
        sender = await stack.enter_async_context(delivering(app, bot)) if deliver else None
        after_commit = sender.wake if sender else wakeups.notify if wakeups else None
        if wakeups is not None:
            stack.push_async_callback(wakeups.close)
        web_app = make_webhook_app(
            app, bot, secret=secret, path=path, metrics=metrics, after_commit=after_commit
        )
        runner = web.AppRunner(web_app, access_log=None, shutdown_timeout=30.0)
        await runner.setup()
        stack.push_async_callback(runner.cleanup)
        await web.TCPSite(runner, host, port).start()
        log.info("webhook listening", extra={"host": host, "port": port, "path": path})
        if public_url:
            await register_webhook(
                bot, url=public_url.rstrip("/") + path, secret=secret, menu=command_menu(app)
            )
        await stop.wait()


async def register_webhook(bot: Bot, *, url: str, secret: str, menu: list[tuple[str, str]]) -> None:
    """Point Telegram at `url` with the secret token (pending updates are kept), and set the commands."""
    await bot.set_webhook(
        url=url, secret_token=secret, allowed_updates=ALLOWED_UPDATES, drop_pending_updates=False
    )
    log.info("webhook registered", extra={"url": url})
    try:
        await bot.set_my_commands([BotCommand(command=name, description=text) for name, text in menu])
    except Exception as error:
        log.warning("setMyCommands failed, continuing without a command menu: %s", error)


async def run_worker(
    app: App,
    bot: Bot,
    *,
    host: str | None = None,
    port: int | None = None,
    interval: float = 0.5,
    lease_seconds: int = 60,
    wakeups: RedisWakeups | None = None,
    stop: asyncio.Event | None = None,
) -> None:
    """Deliver the outbox and tick until stopped; serve /healthz, /readyz, /metrics when `port` is given.

    Webhook workers nudge this process through `wakeups` (Redis) when given; the sender also polls the
    outbox every `interval` seconds, which alone suffices without Redis.
    `lease_seconds` is how long a claimed message stays with this sender: after a crash, another sender
    (or this one restarted) delivers it once the lease has run out.
    """
    stop = stop or _signal_event()
    policy = RetryPolicy(lease_seconds=lease_seconds)
    async with contextlib.AsyncExitStack() as stack:
        sender = await stack.enter_async_context(delivering(app, bot, interval=interval, policy=policy))
        if wakeups is not None:
            listener = asyncio.create_task(wakeups.listen(sender.wake, stop))
            stack.push_async_callback(wakeups.close)
            stack.push_async_callback(asyncio.wait_for, listener, 5)
        if port is not None:
            web_app = web.Application()
            add_ops_routes(web_app, app, app_metrics(app))
            runner = web.AppRunner(web_app, access_log=None)
            await runner.setup()
            stack.push_async_callback(runner.cleanup)
            await web.TCPSite(runner, host or "127.0.0.1", port).start()
        log.info("worker running", extra={"interval": interval})
        await stop.wait()


def _signal_event() -> asyncio.Event:
    """An event set by SIGINT or SIGTERM (a supervisor's stop), for a graceful shutdown."""
    event = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, event.set)
    return event
