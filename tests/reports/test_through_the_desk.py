"""The report reads what the real engine and staff desk write: a repair reopened by the resident, a
complaint answered and resolved, a suggestion not adopted with its reason, praise naming a technician —
driven as conversations with the fake clock, then reported for the month."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta

import pytest

from bot.app import App, build_app
from bot.settings import Settings
from dialogs.clock import FakeClock
from dialogs.domain import StaffMember, StaffRole
from dialogs.nlu.types import NluBackend
from dialogs.reports.delivery import compute_report
from dialogs.reports.period import month_containing
from tests.harness import ChatDriver, Desk

GROUP = -100888
AGENT, PLUMBER, MANAGER = 701, 702, 703


@pytest.fixture
def staffed(settings: Settings, clock: FakeClock, nlu: NluBackend) -> Iterator[App]:
    app = build_app(replace(settings, staff_chat_id=GROUP), clock=clock, nlu=nlu)
    with app.uow_factory() as uow:
        for telegram_id, name, role, skills in [
            (AGENT, "李前台", StaffRole.AGENT, ()),
            (PLUMBER, "王建国", StaffRole.TECHNICIAN, ("plumbing",)),
            (MANAGER, "钱经理", StaffRole.MANAGER, ()),
        ]:
            uow.staff.save(
                member=StaffMember(id=None, telegram_id=telegram_id, name=name, role=role, skills=skills)
            )
        uow.commit()
    yield app
    app.close()


def test_a_month_through_the_desk(staffed: App, clock: FakeClock) -> None:
    chat = ChatDriver(staffed)
    desk = Desk(chat, GROUP)
    chat.register()
    chat.say("3栋2单元502厨房水管漏水了")
    chat.press("尽快安排")
    if any("跳过" in b for b in chat.buttons()):  # the photo step
        chat.press("跳过")
    chat.press("确认")
    repair = chat.text().split("单号 ")[1][:11]
    clock.advance(timedelta(minutes=10))
    desk.press(PLUMBER, "接单")
    clock.advance(timedelta(hours=2))
    desk.press(PLUMBER, "完成")
    desk.say(PLUMBER, "更换了水管接头")
    chat.last = [desk.messages(chat.user_id)[-1].reply]
    clock.advance(timedelta(hours=1))
    chat.press("还没修好")
    clock.advance(timedelta(minutes=5))
    desk.press(PLUMBER, "接单")
    desk.press(PLUMBER, "完成")
    desk.say(PLUMBER, "重新密封")

    chat.say("保安态度太差了，我要投诉")
    complaint = next(r for r in desk_refs(desk) if r.startswith("C"))
    clock.advance(timedelta(minutes=40))  # later than the 30 minutes promised
    desk.press(AGENT, "接单")
    desk.press(AGENT, "回复")
    desk.say(AGENT, "已核实，向您道歉，正在处理")
    clock.advance(timedelta(hours=3))
    desk.press(AGENT, "完成")
    desk.say(AGENT, "已对当班保安批评教育")

    chat.say("建议小区多装几个电动车充电桩")
    suggestion = chat.text().split("编号 ")[1][:11]
    desk.press(MANAGER, "完成")
    desk.press(MANAGER, "不采纳", chat_id=MANAGER)
    desk.say(MANAGER, "地下车库电容量不足")

    chat.say("表扬王建国师傅，修得又快又好")

    with staffed.uow_factory() as uow:
        report = compute_report(uow, month_containing(clock.now(), staffed.site), staffed.site)

    assert report.repairs.total == 1 and report.repairs.reopened == 1 and report.repairs.same_day == 1
    assert report.repairs.by_category == (("plumbing", 1),)
    assert report.complaints.total == 1
    assert report.complaints.by_class == (("service", 1), ("quality", 0), ("external", 0))
    assert report.complaints.top_causes[0].cause == "attitude"
    assert report.complaints.top_causes[0].references == (complaint,)
    assert (report.complaints.accept.late, report.complaints.feedback.kept) == (1, 1)
    assert report.complaints.median_feedback_hours == pytest.approx(40 / 60)  # the reply counts as feedback
    assert [(line.reference, line.outcome, line.reason) for line in report.suggestions.lines] == [
        (suggestion, "rejected", "地下车库电容量不足")
    ]
    staff = {line.name: line for line in report.staff}
    assert staff["王建国"].handled == 1 and staff["王建国"].praise == 1
    assert staff["王建国"].median_accept_minutes == pytest.approx(10)
    assert staff["李前台"].handled == 1 and staff["钱经理"].handled == 1
    assert repair.startswith("R")
    # the follow-up policy keeps a callback record for every resolved complaint and repair
    callbacks = {line.kind: line for line in report.callbacks}
    assert (callbacks["complaint"].handled, callbacks["complaint"].due) == (1, 1)
    assert callbacks["repair"].handled == 1


def desk_refs(desk: Desk) -> list[str]:
    """References of the dispatch cards in the staff group, newest first."""
    keys = [m.key for m in reversed(desk.messages(GROUP)) if m.key]
    return [key.removeprefix("ticket:") for key in keys]
