"""Delivering follow-ups: a blocked bot (403) becomes a phone task at once, and a question whose sender died
mid-send is reviewed by staff instead of being sent again."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field, replace
from datetime import timedelta

from aiogram.exceptions import (
    TelegramNetworkError,
    TelegramNotFound,
    TelegramServerError,
    TelegramUnauthorizedError,
)
from aiogram.methods import SendMessage

from bot.outbox import Blocked, Delivered, DeliveryResult, Failed, OutboxSender, RetryPolicy
from bot.telegram.transport import classify_error
from dialogs.followup.records import FollowUpStatus
from dialogs.messages import ChannelName, Outgoing
from dialogs.ticker import Ticker
from tests.followups.conftest import GROUP, Center
from tests.harness import local


@dataclass
class BlockingTransport:
    """Answers 403 for one chat and delivers the rest."""

    blocked_chat: int
    delivered: list[Outgoing] = field(default_factory=list)

    @property
    def channel(self) -> ChannelName:
        return ChannelName.CONSOLE

    async def send(self, message: Outgoing, *, edit_message_id: int | None = None) -> DeliveryResult:
        if message.chat_id == self.blocked_chat:
            return Blocked("Forbidden: bot was blocked by the user")
        self.delivered.append(message)
        return Delivered(external_id=len(self.delivered))


def test_a_resident_who_blocked_the_bot_gets_a_phone_task_at_once(center: Center) -> None:
    first = center.complaint_resolved()
    second = center.complaint_resolved("我要投诉，小区大门的保安态度很差")
    center.clock.set(local(center.app, "2026-11-28T10:00"))
    center.chat.transport.delivered.clear()
    job = center.job
    with center.app.uow_factory() as uow:  # only the first follow-up is due now
        later = center.followup(second)
        uow.followups.save(followup=replace(later, due_at=local(center.app, "2026-11-29T10:00")))
        uow.commit()
    Ticker(uow_factory=center.app.uow_factory, clock=center.clock, jobs=[job]).tick()
    transport = BlockingTransport(blocked_chat=center.chat.user_id)
    sender = OutboxSender(
        center.app.uow_factory,
        transport,
        center.clock,
        on_blocked=lambda chat_id: center.app.blocked_chats().blocked(ChannelName.CONSOLE, chat_id),
    )
    asyncio.run(sender.flush())
    followup = center.followup(first)
    assert followup.status is FollowUpStatus.PHONE and followup.phone_reason == "blocked"
    asyncio.run(sender.flush())  # the phone task written by the 403 handler
    cards = [m for m in transport.delivered if m.chat_id == GROUP]
    assert cards and "已屏蔽机器人" in cards[-1].reply.text and first in cards[-1].reply.text

    # the next follow-up of this resident goes straight to staff: no message to a chat that refuses them
    center.clock.set(local(center.app, "2026-11-29T10:00"))
    Ticker(uow_factory=center.app.uow_factory, clock=center.clock, jobs=[job]).tick()
    asyncio.run(sender.flush())
    followup = center.followup(second)
    assert followup.status is FollowUpStatus.PHONE and followup.phone_reason == "blocked"
    assert followup.sent_at is None
    assert not [m for m in transport.delivered if m.chat_id == center.chat.user_id]

    # writing to the bot again makes the resident reachable
    center.chat.say("你好")
    with center.app.uow_factory() as uow:
        resident_id = followup.resident_id
        assert uow.followups.unreachable(resident_ids=[resident_id]) == set()


@dataclass
class DyingTransport:
    """A sender that dies after the send started: the message may or may not have arrived."""

    async def send(self, message: Outgoing, *, edit_message_id: int | None = None) -> DeliveryResult:
        raise SystemExit("killed mid-send")

    @property
    def channel(self) -> ChannelName:
        return ChannelName.CONSOLE


def test_a_question_whose_sender_died_mid_send_is_reviewed_not_resent(center: Center) -> None:
    reference = center.complaint_resolved()
    center.clock.set(local(center.app, "2026-11-28T10:00"))
    Ticker(uow_factory=center.app.uow_factory, clock=center.clock, jobs=[center.job]).tick()
    dying = OutboxSender(
        center.app.uow_factory, DyingTransport(), center.clock, policy=RetryPolicy(lease_seconds=60)
    )
    with contextlib.suppress(SystemExit):
        asyncio.run(dying.flush())
    before = len(center.chat.transport.delivered)
    center.clock.advance(timedelta(seconds=30))
    asyncio.run(center.chat.sender.flush())  # lease still running: nobody touches it
    center.clock.advance(timedelta(seconds=31))
    asyncio.run(
        center.chat.sender.flush()
    )  # lease expired: an ordinary row would be re-sent now; this is not
    resent = [m for m in center.chat.transport.delivered[before:] if m.chat_id == center.chat.user_id]
    assert resent == []
    center.tick()
    followup = center.followup(reference)
    assert followup.status is FollowUpStatus.PHONE and followup.phone_reason == "unknown_delivery"
    card = center.desk.messages(GROUP)[-1].reply.text
    assert "【电话回访】" in card and "无法确认住户是否收到" in card
    center.tick()  # reviewed once
    assert center.desk.messages(GROUP)[-1].reply.text == card
    assert len([m for m in center.desk.messages(GROUP) if "无法确认" in m.reply.text]) == 1


@dataclass
class TimingOutTransport:
    """A network timeout: the request left, and the question may or may not have arrived."""

    maybe_delivered: bool

    async def send(self, message: Outgoing, *, edit_message_id: int | None = None) -> DeliveryResult:
        return Failed("TelegramNetworkError: timeout", retryable=True, maybe_delivered=self.maybe_delivered)

    @property
    def channel(self) -> ChannelName:
        return ChannelName.CONSOLE


def test_a_question_that_timed_out_is_reviewed_not_resent(center: Center) -> None:
    reference = center.complaint_resolved()
    center.clock.set(local(center.app, "2026-11-28T10:00"))
    Ticker(uow_factory=center.app.uow_factory, clock=center.clock, jobs=[center.job]).tick()
    asyncio.run(OutboxSender(center.app.uow_factory, TimingOutTransport(True), center.clock).flush())
    before = len(center.chat.transport.delivered)
    center.clock.advance(timedelta(minutes=15))  # well past any retry back-off
    asyncio.run(center.chat.sender.flush())
    assert [m for m in center.chat.transport.delivered[before:] if m.chat_id == center.chat.user_id] == []
    center.tick()
    followup = center.followup(reference)
    assert followup.status is FollowUpStatus.PHONE and followup.phone_reason == "unknown_delivery"


def test_a_question_known_not_delivered_is_retried(center: Center) -> None:
    center.complaint_resolved()
    center.clock.set(local(center.app, "2026-11-28T10:00"))
    Ticker(uow_factory=center.app.uow_factory, clock=center.clock, jobs=[center.job]).tick()
    asyncio.run(OutboxSender(center.app.uow_factory, TimingOutTransport(False), center.clock).flush())
    before = len(center.chat.transport.delivered)
    center.clock.advance(timedelta(minutes=15))
    asyncio.run(center.chat.sender.flush())
    resent = [m for m in center.chat.transport.delivered[before:] if m.chat_id == center.chat.user_id]
    assert [m.reply.text[:4] for m in resent] == ["【回访】"]


def test_telegram_failures_that_may_have_delivered_are_told_apart() -> None:
    method = SendMessage(chat_id=1, text="x")
    maybe = [TelegramNetworkError(method, "timeout"), TelegramServerError(method, "502")]
    surely_not = [
        TelegramUnauthorizedError(method, "Unauthorized"),
        TelegramNotFound(method, "chat not found"),
    ]
    assert [getattr(classify_error(e), "maybe_delivered", None) for e in maybe] == [True, True]
    assert [getattr(classify_error(e), "maybe_delivered", None) for e in surely_not] == [False, False]
