"""The ticker: APScheduler calls the periodic checks every few seconds and wakes the outbox sender.

APScheduler only keeps time here; what is due lives in the database (see `dialogs.ticker`), so nothing is
lost when a worker stops and nothing is sent twice when several run.
"""

from __future__ import annotations

import asyncio
import logging

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.outbox import OutboxSender
from dialogs.ticker import Ticker

log = logging.getLogger(__name__)


def start_ticker(ticker: Ticker, sender: OutboxSender, *, seconds: float = 5.0) -> AsyncIOScheduler:
    """Start ticking on the running event loop; the caller shuts the scheduler down."""

    async def run() -> None:
        # A coroutine runs on the event loop (a plain function would run in APScheduler's thread pool, where
        # waking the sender is not safe); the database work itself goes to a worker thread.
        try:
            if await asyncio.to_thread(ticker.tick):
                sender.wake()
        except Exception:
            log.exception("scheduler tick failed; the next tick retries")

    scheduler = AsyncIOScheduler()
    scheduler.add_job(run, "interval", seconds=seconds, max_instances=1, coalesce=True, id="tick")
    scheduler.start()
    return scheduler
