"""The per-person flood limit: a burst, then a steady rate; one notice per window; nothing half-processed."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import OperationalError

from bot.app import App
from bot.telegram.callbacks import pack_action
from dialogs.clock import FakeClock
from dialogs.engine import Engine
from dialogs.flood import FloodGuard, FloodLimits, FloodVerdict
from dialogs.messages import ALERT, Action, ActionKind, ChannelName, IncomingMessage
from dialogs.ports import UnitOfWork
from tests.hardening.conftest import Feeder

T0 = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)
RESIDENT = 5151


def outbox_rows(feeder: Feeder) -> int:
    with feeder.app.db.connect() as connection:
        query = sa.text("SELECT count(*) FROM outbox WHERE chat_id = :chat")
        return int(connection.execute(query, {"chat": RESIDENT}).scalar_one())


def test_burst_then_one_notice_per_window_then_silence() -> None:
    guard = FloodGuard(FloodLimits(burst=3, per_minute=6, notice_window=timedelta(seconds=60)))
    verdicts = [guard.check("telegram", 1, T0) for _ in range(6)]
    assert verdicts == [FloodVerdict.ADMIT] * 3 + [FloodVerdict.NOTIFY] + [FloodVerdict.DROP] * 2
    assert guard.retry_after("telegram", 1, T0) == 10  # 6 a minute: one token every 10 s
    assert guard.check("telegram", 2, T0) is FloodVerdict.ADMIT  # people are limited one by one
    assert guard.check("telegram", 1, T0 + timedelta(seconds=10)) is FloodVerdict.ADMIT
    assert guard.check("telegram", 1, T0 + timedelta(seconds=11)) is FloodVerdict.DROP  # still in the window
    assert guard.check("telegram", 1, T0 + timedelta(seconds=61)) is FloodVerdict.ADMIT  # refilled meanwhile
    assert guard.check("telegram", 1, T0 + timedelta(seconds=61)) is FloodVerdict.ADMIT


def test_a_new_flood_after_the_window_gets_a_new_notice() -> None:
    guard = FloodGuard(FloodLimits(burst=1, per_minute=1, notice_window=timedelta(seconds=30)))
    assert guard.check("telegram", 1, T0) is FloodVerdict.ADMIT
    assert guard.check("telegram", 1, T0) is FloodVerdict.NOTIFY
    later = T0 + timedelta(seconds=31)
    assert [guard.check("telegram", 1, later) for _ in range(2)] == [FloodVerdict.NOTIFY, FloodVerdict.DROP]


def test_only_the_named_channels_are_limited_and_idle_people_are_forgotten() -> None:
    guard = FloodGuard(FloodLimits(burst=1, per_minute=60, max_tracked=3), channels={"telegram"})
    assert all(guard.check("console", 1, T0) is FloodVerdict.ADMIT for _ in range(50))
    for user in range(3):
        guard.check("telegram", user, T0)
    guard.check("telegram", 99, T0 + timedelta(seconds=5))  # the others have refilled: they are dropped
    assert guard.tracked == 1


def test_limits_are_validated() -> None:
    with pytest.raises(ValueError, match="burst"):
        FloodLimits(burst=0)


async def test_a_flood_gets_one_polite_notice_and_drops_the_rest_without_effects(feeder: Feeder) -> None:
    burst = feeder.guard.limits.burst
    clock = feeder.app.clock
    assert isinstance(clock, FakeClock)
    first = await feeder.say(RESIDENT, "建议小区多装几个电动车充电桩")  # a ticket before the flood
    for _ in range(burst - 1):
        await feeder.say(RESIDENT, "你好")
    before = outbox_rows(feeder)
    flood = [await feeder.say(RESIDENT, "建议再多装点路灯") for _ in range(10)]
    notice = feeder.app.catalog.t("zh", "flood.notice", seconds=2, hotline=feeder.app.site.emergency_hotline)
    assert [[r.reply.text for r in replies] for replies in flood] == [[notice]] + [[]] * 9
    with feeder.app.db.connect() as connection:
        tickets = connection.execute(sa.text("SELECT reference FROM tickets")).scalars().all()
    assert len(tickets) == 1 and tickets[0] in first[0].reply.text  # the earlier ticket stands, no new one
    assert outbox_rows(feeder) == before + 1  # exactly one notice stored for the whole flood
    clock.advance(timedelta(seconds=30))
    assert await feeder.say(RESIDENT, "建议再多装点路灯")  # admitted again after a pause


async def test_a_flooded_button_press_gets_a_pop_up_and_no_chat_message(feeder: Feeder) -> None:
    for _ in range(feeder.guard.limits.burst):
        await feeder.say(RESIDENT, "你好")
    press = feeder.updates.callback(RESIDENT, pack_action(Action(ActionKind.CONFIRM)))
    [handled] = await feeder.feed(press)
    assert handled.flood is FloodVerdict.NOTIFY
    assert [r.audience for r in handled.replies] == [ALERT]
    assert "太频繁" in handled.replies[0].reply.text


def test_redeliveries_and_failed_attempts_do_not_use_up_the_limit(app: App) -> None:
    """Telegram redelivers after an outage: the already handled or never processed copies cost nothing."""
    guard = FloodGuard(FloodLimits(burst=2, per_minute=1))
    engine = Engine(
        uow_factory=app.uow_factory,
        clock=app.clock,
        nlu=app.nlu,
        site=app.site,
        catalog=app.catalog,
        flood=guard,
    )
    hello = IncomingMessage(channel=ChannelName.TELEGRAM, chat_id=7, user_id=7, text="你好", update_id=1)
    assert engine.handle(hello)  # answered
    for _ in range(5):
        assert engine.handle(hello) == []  # the same update again: ignored, no token taken

    def broken() -> UnitOfWork:
        raise OperationalError("SELECT 1", {}, Exception("database away"))

    failing = Engine(
        uow_factory=broken, clock=app.clock, nlu=app.nlu, site=app.site, catalog=app.catalog, flood=guard
    )
    for update_id in (2, 3, 4):
        with pytest.raises(OperationalError):
            failing.handle(replace(hello, update_id=update_id))
    assert guard.check("telegram", 7, app.clock.now()) is FloodVerdict.ADMIT  # one token left of two
