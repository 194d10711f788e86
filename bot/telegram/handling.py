"""The engine side of a Telegram handler, shared by long polling and the webhook.

The engine's NLU and database work is blocking, so it runs on the app's engine threads and the event
loop keeps serving other chats, callback answers and the sender; updates that queue up meanwhile share a
transaction (`bot.telegram.batching`). When it returns, the update's effects (state, tickets, replies in
the outbox, the update id) are committed; only then may the update be acknowledged.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from sqlalchemy.exc import InterfaceError, OperationalError

from bot.app import ENGINE_THREADS, App
from bot.telegram.batching import TurnBatcher
from bot.telegram.runner import OnMessage
from dialogs.messages import ALERT, IncomingMessage, Outgoing

__all__ = ["engine_on_message"]

log = logging.getLogger(__name__)


def engine_on_message(
    app: App, *, after_commit: Callable[[], None] | None = None, wait_out_outages: bool = False
) -> OnMessage:
    """An `OnMessage` running `app.engine`; `after_commit` runs once the effects are stored (e.g. waking an
    in-process outbox sender). Returns the pop-up text for a pressed button, if the engine has one.

    A webhook must fail fast (a non-2xx makes Telegram redeliver). Long polling cannot refuse an update:
    aiogram confirms it with the next `getUpdates` whatever the handler did. So with `wait_out_outages` a
    database outage is waited out, retrying the update with backoff, instead of dropping it.
    """

    batcher = TurnBatcher(app.engine, app.engine_executor, threads=ENGINE_THREADS)

    async def handle(message: IncomingMessage) -> list[Outgoing]:
        delay = 0.5
        while True:
            try:
                return await batcher.handle(message)
            except (OperationalError, InterfaceError):
                if not wait_out_outages:
                    raise
                log.warning("database unavailable, update waits", extra={"update_id": message.update_id})
                await asyncio.sleep(delay)
                delay = min(delay * 2, 15.0)

    async def on_message(message: IncomingMessage) -> str | None:
        replies = await handle(message)
        if after_commit is not None:
            after_commit()
        return next((r.reply.text for r in replies if r.audience == ALERT), None)

    return on_message
