"""The staff side as transcripts: dispatch to the staff group, accept, reply relayed to the resident,
resolve, the resident's confirmation, transfers, reassignment, and refusals for everyone else."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pytest

from bot.app import App, build_app
from bot.settings import Settings
from dialogs.clock import FakeClock
from dialogs.domain import EventKind, StaffMember, StaffRole, Ticket, TicketStatus
from dialogs.nlu.types import NluBackend
from dialogs.ports import ConcurrentUpdateError
from storage.repos_tickets import SqlTicketRepository
from storage.repos_updates import SqlChatLocks
from tests.harness import ChatDriver, Desk

GROUP = -100777
AGENT, PLUMBER, ELECTRICIAN, SUPERVISOR, MANAGER, OUTSIDER = 501, 502, 503, 504, 505, 999


@pytest.fixture
def staffed(settings: Settings, clock: FakeClock, nlu: NluBackend) -> Iterator[App]:
    app = build_app(replace(settings, staff_chat_id=GROUP), clock=clock, nlu=nlu)
    with app.uow_factory() as uow:
        for telegram_id, name, role, skills in [
            (AGENT, "李前台", StaffRole.AGENT, ()),
            (PLUMBER, "王建国", StaffRole.TECHNICIAN, ("plumbing",)),
            (ELECTRICIAN, "Tom Chen", StaffRole.TECHNICIAN, ("electrical",)),
            (SUPERVISOR, "赵主管", StaffRole.SUPERVISOR, ("plumbing", "electrical")),
            (MANAGER, "钱经理", StaffRole.MANAGER, ()),
        ]:
            uow.staff.save(
                member=StaffMember(id=None, telegram_id=telegram_id, name=name, role=role, skills=skills)
            )
        uow.commit()
    yield app
    app.close()


def report_leak(chat: ChatDriver) -> str:
    chat.register()
    chat.say("3栋2单元502厨房水管漏水了，明天下午三点来修吧")
    chat.press("跳过")
    chat.press("确认")
    return chat.text().split("单号 ")[1][:11]


def status_of(app: App, reference: str) -> TicketStatus:
    with app.uow_factory() as uow:
        ticket = uow.tickets.get(reference=reference)
        assert ticket is not None
        return ticket.status


def test_a_whole_ticket_life(staffed: App) -> None:
    chat = ChatDriver(staffed)
    desk = Desk(chat, GROUP)
    reference = report_leak(chat)
    card = desk.card(reference)
    assert "待受理" in card.text and "维修-水暖" in card.text and "138****5678" in card.text
    assert "13812345678" not in card.text  # phones are masked in the group

    desk.press(PLUMBER, "接单")
    assert "已受理" in desk.card(reference).text and "王建国" in desk.card(reference).text
    assert "已由王师傅受理" in desk.last_text(chat.user_id) and "11月28日 15:00" in desk.last_text(
        chat.user_id
    )

    desk.press(PLUMBER, "回复")
    assert "请输入要回复住户的内容" in desk.last_text(PLUMBER)
    desk.say(PLUMBER, "您好，明天下午三点准时到，请家里留人")
    assert "王师傅回复：您好，明天下午三点准时到" in desk.last_text(chat.user_id)

    desk.press(PLUMBER, "完成")
    desk.say(PLUMBER, "更换了厨房水管接头，已试水无渗漏")
    assert "已处理完毕" in desk.last_text(chat.user_id) and "更换了厨房水管接头" in desk.last_text(
        chat.user_id
    )
    assert "已完成" in desk.card(reference).text

    chat.last = [desk.messages(chat.user_id)[-1].reply]
    chat.press("还没修好")
    chat.expect("重新派单")
    assert status_of(staffed, reference) is TicketStatus.OPEN
    assert any("还没修好" in m.reply.text for m in desk.messages(PLUMBER)[-2:])
    desk.press(PLUMBER, "接单")
    desk.press(PLUMBER, "完成")
    desk.say(PLUMBER, "重新密封，观察半小时无渗漏")
    chat.last = [desk.messages(chat.user_id)[-1].reply]
    chat.press("已修好")
    chat.expect("感谢您的确认")
    assert status_of(staffed, reference) is TicketStatus.CLOSED
    with staffed.uow_factory() as uow:
        ticket = uow.tickets.get(reference=reference)
        assert ticket is not None and ticket.id is not None
        kinds = [event.kind for event in uow.tickets.events(ticket_id=ticket.id)]
    assert kinds.count(EventKind.STATUS_CHANGED) == 6 and EventKind.STAFF_REPLY in kinds
    # the card was edited in place: one group message per version, all with the same key
    assert len({m.key for m in desk.messages(GROUP)}) == 1


def test_outsiders_residents_and_wrong_roles_are_refused(staffed: App) -> None:
    chat = ChatDriver(staffed)
    desk = Desk(chat, GROUP)
    reference = report_leak(chat)
    before = len(desk.messages(GROUP))
    for intruder in (OUTSIDER, chat.user_id, ELECTRICIAN):
        desk.press(intruder, "接单")
        assert "没有权限" in desk.last_text(intruder)
    assert len(desk.messages(GROUP)) == before  # nothing changed, the card was not touched
    assert status_of(staffed, reference) is TicketStatus.OPEN
    desk.press(AGENT, "关闭")
    assert "没有权限" in desk.last_text(AGENT)
    with staffed.uow_factory() as uow:
        ticket = uow.tickets.get(reference=reference)
        assert ticket is not None and ticket.id is not None
        refused = [e for e in uow.tickets.events(ticket_id=ticket.id) if e.kind is EventKind.REFUSED]
    assert len(refused) == 4


def test_transfer_and_supervisor_reassign(staffed: App) -> None:
    chat = ChatDriver(staffed)
    desk = Desk(chat, GROUP)
    reference = report_leak(chat)
    desk.press(AGENT, "转派")
    desk.press(AGENT, "维修-电工", chat_id=AGENT)
    assert "维修-电工" in desk.card(reference).text and "已转派" in desk.last_text(AGENT)
    desk.press(SUPERVISOR, "改派")
    desk.press(SUPERVISOR, "Tom Chen", chat_id=SUPERVISOR)
    assert "Tom Chen" in desk.card(reference).text
    assert desk.card(reference, chat_id=ELECTRICIAN)  # the assignee gets the card privately
    desk.press(ELECTRICIAN, "接单", chat_id=ELECTRICIAN)
    assert "已由Tom受理" in desk.last_text(chat.user_id)


def test_suggestion_outcome_is_told_to_the_resident(staffed: App) -> None:
    chat = ChatDriver(staffed)
    desk = Desk(chat, GROUP)
    chat.say("建议小区多装几个电动车充电桩")
    reference = chat.text().split("编号 ")[1][:11]
    assert "接单" not in [b.label for b in desk.card(reference).all_buttons()]
    desk.press(MANAGER, "完成")
    desk.press(MANAGER, "不采纳", chat_id=MANAGER)
    desk.say(MANAGER, "地下车库电容量不足，明年改造时一并考虑")
    assert "暂不采纳" in desk.last_text(chat.user_id) and "电容量不足" in desk.last_text(chat.user_id)
    with staffed.uow_factory() as uow:
        ticket = uow.tickets.get(reference=reference)
        assert ticket is not None and ticket.details["outcome"] == "rejected"


def test_round_robin_assigns_in_turn_and_shift_matters(
    settings: Settings, clock: FakeClock, nlu: NluBackend
) -> None:
    site_file = settings.var_dir.parent / "site.yaml"
    site_file.parent.mkdir(parents=True, exist_ok=True)
    default = (settings.nlu_data_dir.parent / "dialogs" / "site_default.yaml").read_text(encoding="utf-8")
    site_file.write_text(default.replace("assignment: grab", "assignment: round_robin"), encoding="utf-8")
    app = build_app(replace(settings, staff_chat_id=GROUP, site_config=site_file), clock=clock, nlu=nlu)
    with app.uow_factory() as uow:
        for telegram_id, name in [(601, "甲"), (602, "乙")]:
            uow.staff.save(
                member=StaffMember(
                    id=None,
                    telegram_id=telegram_id,
                    name=name,
                    role=StaffRole.TECHNICIAN,
                    skills=("plumbing",),
                )
            )
        uow.commit()
    chat = ChatDriver(app)
    desk = Desk(chat, GROUP)
    first = report_leak(chat)
    chat.say("卫生间水龙头一直滴水，明天上午十点来")
    chat.press("在我家")
    chat.press("跳过")
    chat.press("确认")
    second = chat.text().split("单号 ")[1][:11]
    assert "甲" in desk.card(first).text and "乙" in desk.card(second).text
    desk.say(601, "/offshift")
    assert "已下班" in desk.last_text(601)
    chat.say("阳台地漏堵了，后天上午来")
    chat.press("在我家")
    chat.press("跳过")
    chat.press("确认")
    third = chat.text().split("单号 ")[1][:11]
    assert "乙" in desk.card(third).text
    app.close()


def test_household_file_for_staff_only(staffed: App) -> None:
    chat = ChatDriver(staffed)
    desk = Desk(chat, GROUP)
    reference = report_leak(chat)
    desk.press(PLUMBER, "接单")
    chat.say("/household 3栋2单元502")
    chat.expect("只供登记的工作人员")  # residents cannot read household files
    desk.say(SUPERVISOR, "/household 3-2-502")
    text = desk.last_text(SUPERVISOR)
    assert "【一户一档】3栋2单元502" in text and "138****5678" in text and "13812345678" not in text
    assert (reference in text and text.index("登记") < text.index("派给")) or "王建国" in text
    desk.say(SUPERVISOR, "/household 9栋9单元909")
    assert "没有找到" in desk.last_text(SUPERVISOR)


def test_a_turn_that_lost_a_race_on_its_ticket_is_redone_once(
    staffed: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Someone else changed the ticket between this turn's read and its save (the repository refuses the
    stale save): the whole turn rolls back and runs again on fresh data — accepted once, told once."""
    chat = ChatDriver(staffed)
    desk = Desk(chat, GROUP)
    reference = report_leak(chat)
    save = SqlTicketRepository.save
    refused: list[str] = []

    def lose_first_race(self: SqlTicketRepository, *, ticket: Ticket) -> Ticket:
        if not refused:
            refused.append(ticket.reference)
            raise ConcurrentUpdateError(f"ticket {ticket.reference} changed")
        return save(self, ticket=ticket)

    monkeypatch.setattr(SqlTicketRepository, "save", lose_first_race)
    told = len(desk.messages(chat.user_id))
    desk.press(PLUMBER, "接单")

    assert refused == [reference]
    assert status_of(staffed, reference) is TicketStatus.ACCEPTED
    notices = [m.reply.text for m in desk.messages(chat.user_id)[told:]]
    assert len([text for text in notices if "已由王师傅受理" in text]) == 1
    with staffed.uow_factory() as uow:
        ticket = uow.tickets.get(reference=reference)
        assert ticket is not None and ticket.id is not None
        kinds = [event.kind for event in uow.tickets.events(ticket_id=ticket.id)]
    assert kinds.count(EventKind.STATUS_CHANGED) == 1


def test_a_prompt_for_a_private_chat_waits_for_that_chats_lock(
    staffed: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A press in the group may write the presser's private conversation (回复 does) and record: every
    group turn takes that chat's lock too, after the group's (one direction only, so no two turns wait on
    each other)."""
    chat = ChatDriver(staffed)
    desk = Desk(chat, GROUP)
    reference = report_leak(chat)
    desk.press(PLUMBER, "接单")
    lock = SqlChatLocks.lock
    locked: list[int] = []

    def record_lock(self: SqlChatLocks, *, channel: str, chat_id: int) -> None:
        locked.append(chat_id)
        lock(self, channel=channel, chat_id=chat_id)

    monkeypatch.setattr(SqlChatLocks, "lock", record_lock)
    desk.press(PLUMBER, "回复")
    assert locked == [GROUP, PLUMBER]
    assert reference in desk.last_text(PLUMBER)
