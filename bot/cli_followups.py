"""`frontdesk followups run-due [--now ISO]`: ask every callback follow-up due now, deliver, and exit.

For operators (catch up after downtime, or run from cron instead of `frontdesk run`) and for tests (`--now`
plays the clock). It runs the same periodic job as the scheduler until nothing more is due, then delivers
what it queued: Telegram rows through the Bot API when a token is set (paced to Telegram's limits, a 403
handled like in `frontdesk run`), console rows printed on stdout. It ends with a one-line summary.
"""

from __future__ import annotations

import asyncio
import sys
from datetime import datetime

import click

from bot.cli_support import command_context
from bot.console import ConsoleTransport
from bot.outbox import OutboxSender
from bot.settings import Settings
from dialogs.clock import Clock, FakeClock, SystemClock
from dialogs.followup.job import BlockedChats, FollowUpJob
from dialogs.i18n import Catalog
from dialogs.messages import ChannelName
from dialogs.site import SiteConfig
from dialogs.ticker import Ticker
from storage.uow import SqlUnitOfWorkFactory

__all__ = ["followups"]


@click.group()
def followups() -> None:
    """Callback follow-ups (回访)."""


def _clock(now: str | None, site: SiteConfig) -> Clock:
    if now is None:
        return SystemClock()
    try:
        when = datetime.fromisoformat(now)
    except ValueError as exc:
        raise click.BadParameter(f"not an ISO date-time: {now}", param_hint="--now") from exc
    return FakeClock(when if when.tzinfo else when.replace(tzinfo=site.zone))


@followups.command("run-due")
@click.option("--now", default=None, help="Act as if it were this time (ISO; site-local when naive).")
def run_due(now: str | None) -> None:
    """Send every follow-up due now (late ones too, flagged), remind, hand over phone tasks; then exit."""
    with command_context() as (settings, site, uow_factory):
        clock = _clock(now, site)
        catalog = Catalog.load()
        job = FollowUpJob(site=site, catalog=catalog, staff_chat_id=settings.staff_chat_id)
        ticker = Ticker(uow_factory=uow_factory, clock=clock, jobs=[job])
        while True:
            before = (job.tally.total, job.tally.reviews)
            ticker.tick()
            if (job.tally.total, job.tally.reviews) == before:
                break
        blocked = BlockedChats(
            uow_factory=uow_factory,
            clock=clock,
            site=site,
            catalog=catalog,
            staff_chat_id=settings.staff_chat_id,
        )
        delivered = asyncio.run(_deliver(settings, uow_factory, clock, blocked))
    tally = job.tally
    click.echo(
        f"follow-ups: asked {tally.asked} (late {tally.late}), reminded {tally.reminded}, "
        f"phone tasks {tally.phone_tasks} (unknown delivery {tally.reviews}); messages delivered {delivered}"
    )


async def _deliver(
    settings: Settings, uow_factory: SqlUnitOfWorkFactory, clock: Clock, blocked: BlockedChats
) -> int:
    """Flush the outbox: console rows to stdout, Telegram rows through the Bot API when a token is set."""
    console = OutboxSender(uow_factory, ConsoleTransport(out=sys.stdout), clock)
    delivered = await _drain(console)
    if not settings.telegram_token:
        return delivered
    from bot.telegram.ratelimit import TelegramRateLimiter
    from bot.telegram.runner import make_bot
    from bot.telegram.transport import TelegramTransport

    bot = make_bot(settings.telegram_token, settings.telegram_api_base)
    try:
        sender = OutboxSender(
            uow_factory,
            TelegramTransport(bot),
            clock,
            limiter=TelegramRateLimiter(),
            on_blocked=lambda chat_id: asyncio.to_thread(blocked.blocked, ChannelName.TELEGRAM, chat_id),
        )
        delivered += await _drain(sender)
    finally:
        await bot.session.close()
    return delivered


async def _drain(sender: OutboxSender) -> int:
    total = 0
    while (count := await sender.flush(limit=100)) > 0:
        total += count
    return total
