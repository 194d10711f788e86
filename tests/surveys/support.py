"""Helpers for the survey tests: households with bot users, a campaign, ticks delivered to chats."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from datetime import datetime

from bot.app import App
from dialogs.domain import Resident
from dialogs.messages import Button, ChannelName, IncomingMessage, Outgoing, Reply
from dialogs.ports import UnitOfWork, UnitOfWorkFactory
from dialogs.site import SiteConfig
from dialogs.survey.campaigns import create_campaign, start_campaign
from dialogs.survey.model import Campaign
from tests.conftest import START
from tests.harness import ChatDriver


def add_household(
    uow: UnitOfWork,
    room: str,
    *,
    building: str = "",
    users: Iterable[int] = (),
    lang: str = "zh",
    channel: ChannelName = ChannelName.CONSOLE,
    now: datetime | None = None,
) -> int:
    """A household and its residents who use the bot (their user ids); returns the household id."""
    household = uow.households.get_or_create(room=room, building=building)
    assert household.id is not None
    for user in users:
        uow.residents.save(
            resident=Resident(
                id=None,
                channel=channel.value,
                external_id=user,
                display_name=f"r{user}",
                language=lang,
                household_id=household.id,
                created_at=now or START,  # a resident known since an unknown time counts as long gone
            )
        )
    return household.id


def running_campaign(
    uow_factory: UnitOfWorkFactory,
    site: SiteConfig,
    now: datetime,
    *,
    name: str = "2026年度满意度调查",
    building: str | None = None,
    share: float | None = None,
    rate_per_minute: int | None = None,
    reminder_days: int | None = None,
) -> tuple[Campaign, int]:
    """A campaign created and started now; returns it and how many households it targets."""
    with uow_factory() as uow:
        campaign, targeted = create_campaign(
            uow,
            site,
            name=name,
            now=now,
            building=building,
            share=share,
            rate_per_minute=rate_per_minute,
            reminder_days=reminder_days,
        )
        assert campaign.id is not None
        campaign = start_campaign(uow, campaign.id, now)
        uow.commit()
    return campaign, targeted


def tick(app: App) -> int:
    """One scheduler tick on the console channel; returns how many messages it queued."""
    return app.ticker(ChannelName.CONSOLE).tick()


def deliver(chat: ChatDriver, *others: ChatDriver) -> list[Outgoing]:
    """Send what the outbox holds (every chat of the channel, through `chat`'s sender); each chat's part
    becomes its latest replies. `others` must share `chat`'s transport (see `shared`)."""
    before = len(chat.transport.delivered)
    asyncio.run(chat.sender.flush())
    new = chat.transport.delivered[before:]
    for driver in (chat, *others):
        mine = [m.reply for m in new if m.chat_id == driver.user_id]
        if mine:
            driver.last = mine
            driver.transcript += [reply.text for reply in mine]
    return new


def press_again(chat: ChatDriver, button: Button) -> list[Reply]:
    """Press a button seen earlier (a double tap, or an old message scrolled back to)."""
    message = IncomingMessage(
        channel=ChannelName.CONSOLE,
        chat_id=chat.user_id,
        user_id=chat.user_id,
        first_name="Test",
        language_code=chat.language_code,
        action=button.action,
    )
    return chat.send(message)


def shared(chat: ChatDriver, other: ChatDriver) -> ChatDriver:
    """Let `other` see what `chat`'s sender delivers (one sender serves every chat of the channel)."""
    other.transport = chat.transport
    other.sender = chat.sender
    return other
