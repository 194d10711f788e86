"""Service promises on a fake clock: a reminder at 80 % of the time, the supervisor when it slips, the
manager when it slips badly, each once, recorded on the ticket; and the daily digest, once a day."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from dataclasses import replace
from datetime import timedelta

import pytest

from bot.app import App, build_app
from bot.settings import Settings
from dialogs.clock import FakeClock
from dialogs.domain import EventKind, StaffMember, StaffRole, Ticket
from dialogs.messages import ChannelName
from dialogs.nlu.types import NluBackend
from storage.repos_tickets import SqlTicketRepository
from tests.harness import ChatDriver, Desk

GROUP = -100888
SUPERVISOR, MANAGER, PLUMBER = 701, 702, 703


@pytest.fixture
def staffed(settings: Settings, clock: FakeClock, nlu: NluBackend) -> Iterator[App]:
    app = build_app(replace(settings, staff_chat_id=GROUP), clock=clock, nlu=nlu)
    with app.uow_factory() as uow:
        for telegram_id, name, role in [
            (SUPERVISOR, "赵主管", StaffRole.SUPERVISOR),
            (MANAGER, "钱经理", StaffRole.MANAGER),
            (PLUMBER, "王建国", StaffRole.TECHNICIAN),
        ]:
            uow.staff.save(member=StaffMember(id=None, telegram_id=telegram_id, name=name, role=role))
        uow.commit()
    yield app
    app.close()


def test_acceptance_promise_escalates_level_by_level(staffed: App, clock: FakeClock) -> None:
    chat = ChatDriver(staffed)
    desk = Desk(chat, GROUP)
    ticker = staffed.ticker(ChannelName.CONSOLE)
    ticker.tick()  # the day's digest goes out first
    chat.say("3栋2单元502卫生间下水道堵了，明天上午十点来，电话13812345678")
    chat.press("跳过")
    chat.press("确认")
    reference = chat.text().split("单号 ")[1][:11]

    def tick() -> None:
        ticker.tick()
        chat.say("/mytickets")  # any turn flushes the outbox

    clock.advance(timedelta(minutes=20))
    tick()
    assert "提醒" not in desk.last_text(GROUP)
    clock.advance(timedelta(minutes=5))  # 25 of 30 minutes: at risk, nobody assigned -> the group
    tick()
    assert "⏰ 提醒" in desk.last_text(GROUP) and reference in desk.last_text(GROUP)
    clock.advance(timedelta(minutes=6))  # slipped: the supervisor
    tick()
    assert "⚠️ 超时" in desk.last_text(SUPERVISOR)
    assert "严重超时" not in desk.last_text(MANAGER)
    clock.advance(timedelta(minutes=30))  # twice the allowed time: the manager
    tick()
    assert "🚨 严重超时" in desk.last_text(MANAGER)
    sent = len(chat.transport.delivered)
    tick()
    assert len(chat.transport.delivered) == sent + 1  # only the /mytickets answer: nothing twice
    with staffed.uow_factory() as uow:
        ticket = uow.tickets.get(reference=reference)
        assert ticket is not None and ticket.id is not None
        levels = [
            e.data["level"] for e in uow.tickets.events(ticket_id=ticket.id) if e.kind is EventKind.ESCALATED
        ]
    assert levels == [1, 2, 3]


def test_accepting_in_time_stops_the_clock(staffed: App, clock: FakeClock) -> None:
    chat = ChatDriver(staffed)
    desk = Desk(chat, GROUP)
    ticker = staffed.ticker(ChannelName.CONSOLE)
    ticker.tick()
    chat.say("3栋2单元502卫生间下水道堵了，明天上午十点来，电话13812345678")
    chat.press("跳过")
    chat.press("确认")
    clock.advance(timedelta(minutes=10))
    desk.press(PLUMBER, "接单")
    clock.advance(timedelta(hours=3))
    assert ticker.tick() == 0


def test_daily_digest_once_a_day(staffed: App, clock: FakeClock) -> None:
    chat = ChatDriver(staffed)
    desk = Desk(chat, GROUP)
    ticker = staffed.ticker(ChannelName.CONSOLE)
    assert ticker.tick() == 2  # supervisor and manager
    assert ticker.tick() == 0
    chat.say("/mytickets")
    assert "每日汇总" in desk.last_text(SUPERVISOR) and "每日汇总" in desk.last_text(MANAGER)
    clock.advance(timedelta(hours=23))  # Saturday 09:00, past the 08:00 digest time
    assert ticker.tick() == 2


def test_two_workers_ticking_at_once_escalate_once(staffed: App, clock: FakeClock) -> None:
    chat = ChatDriver(staffed)
    chat.say("3栋2单元502卫生间下水道堵了，明天上午十点来，电话13812345678")
    chat.press("跳过")
    chat.press("确认")
    reference = chat.text().split("单号 ")[1][:11]
    clock.advance(timedelta(hours=2))  # every level is due at once
    tickers = [staffed.ticker(ChannelName.CONSOLE), staffed.ticker(ChannelName.CONSOLE)]
    barrier = threading.Barrier(2)

    def work(index: int) -> None:
        barrier.wait()
        tickers[index].tick()

    threads = [threading.Thread(target=work, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with staffed.uow_factory() as uow:
        ticket = uow.tickets.get(reference=reference)
        assert ticket is not None and ticket.id is not None
        events = [e for e in uow.tickets.events(ticket_id=ticket.id) if e.kind is EventKind.ESCALATED]
    assert sorted(e.data["level"] for e in events) == [1, 2, 3]


def test_the_backlog_is_assessed_at_most_once_a_minute(
    staffed: App, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The ticker runs every few seconds; reading and assessing every open ticket is a minute's job."""
    reads: list[int] = []
    list_active = SqlTicketRepository.list_active

    def counting(self: SqlTicketRepository, *, queue: str | None = None) -> Sequence[Ticket]:
        reads.append(1)
        return list_active(self, queue=queue)

    monkeypatch.setattr(SqlTicketRepository, "list_active", counting)
    ticker = staffed.ticker(ChannelName.CONSOLE)
    ticker.tick()
    clock.advance(timedelta(seconds=5))
    ticker.tick()
    clock.advance(timedelta(seconds=50))
    ticker.tick()
    assert len(reads) == 2  # the first tick: the check and the day's digest
    clock.advance(timedelta(seconds=10))  # a minute after the first check
    ticker.tick()
    assert len(reads) == 3
