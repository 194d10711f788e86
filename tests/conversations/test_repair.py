"""Repair reports, as transcripts: asked one detail at a time, never asked twice, confirmed, stored."""

from __future__ import annotations

from datetime import timedelta

from bot.app import App, build_app
from bot.settings import Settings
from dialogs.clock import FakeClock
from dialogs.domain import REFERENCE_PATTERN, Ticket, TicketStatus, TicketType
from dialogs.nlu.types import NluBackend
from tests.harness import ChatDriver, local


def tickets_of(app: App, user_id: int) -> list[Ticket]:
    with app.uow_factory() as uow:
        resident = uow.residents.find(channel="console", external_id=user_id)
        assert resident is not None and resident.id is not None
        return list(uow.tickets.list_for_resident(resident_id=resident.id))


def test_details_given_up_front_are_not_asked_again(app: App) -> None:
    chat = ChatDriver(app)
    chat.register()
    chat.say("3栋2单元502厨房水管漏水了，明天下午三点来修吧")
    chat.expect("照片")  # only the optional photo is left to ask
    chat.expect_not("房号", "类别", "电话", "什么时候")
    chat.send_photo("kitchen-1")
    chat.expect("照片已收到", "3栋2单元502", "水管/漏水", "13812345678", "11月28日 15:00", "照片：1 张")
    chat.press("确认")
    text = chat.expect("报修已登记", "11月28日 15:00")
    reference = text.split("单号 ")[1][:11]
    assert REFERENCE_PATTERN.match(reference) and reference.startswith("R261127")
    with app.uow_factory() as uow:
        ticket = uow.tickets.get(reference=reference)
        assert ticket is not None and ticket.id is not None
        assert ticket.type is TicketType.REPAIR and ticket.status is TicketStatus.OPEN
        assert ticket.category == "plumbing" and ticket.photos == ("kitchen-1",)
        assert ticket.preferred_time == local(app, "2026-11-28T15:00:00")
        assert ticket.household_id is not None
        assert [event.kind.value for event in uow.tickets.events(ticket_id=ticket.id)] == ["created"]


def test_missing_details_are_asked_one_at_a_time(app: App) -> None:
    chat = ChatDriver(app, user_id=2002)
    chat.say("马桶堵了，冲不下去")
    chat.expect("哪个房号")
    chat.say("7幢602室")
    chat.expect("联系电话")
    chat.say("我的电话是 139-1234-5678")
    chat.expect("什么时候")
    chat.say("下周一上午")
    chat.expect("照片")
    chat.press("跳过")
    chat.expect("7栋602", "下水/堵塞", "13912345678", "11月30日")
    chat.press("确认")
    chat.expect("报修已登记", "R261127")
    (ticket,) = tickets_of(app, 2002)
    assert ticket.category == "drain"


def test_english_common_area_repair(app: App) -> None:
    chat = ChatDriver(app, user_id=3003, language_code="en")
    chat.say("the corridor light on floor 5 is out")
    chat.expect("phone")
    chat.expect_not("Which room")
    chat.say("13700001111")
    chat.expect("When should")
    chat.say("Saturday 10am")
    chat.press("Skip")
    chat.expect("Common area (corridor)", "Lighting", "Sat 28 Nov 10:00")
    chat.press("Submit")
    chat.expect("Your repair is registered", "reference R261127")


def test_unparseable_time_is_asked_again_then_kept_as_words(app: App) -> None:
    chat = ChatDriver(app, user_id=4004)
    chat.register()
    chat.say("卫生间灯不亮了")
    chat.press("在我家")
    chat.expect("什么时候")
    chat.say("等我下班回来")
    chat.expect("没能识别时间")
    chat.say("还是等我下班吧")
    chat.expect("照片")
    chat.press("跳过")
    chat.expect("尽快安排 (还是等我下班吧)")


def test_past_time_is_refused(app: App, clock: FakeClock) -> None:
    chat = ChatDriver(app, user_id=4005)
    chat.register()
    chat.say("窗户关不上了")
    chat.press("在我家")
    chat.say("今天早上八点")
    chat.expect("已经过去")


def test_edit_before_submitting(app: App) -> None:
    chat = ChatDriver(app, user_id=5005)
    chat.register()
    chat.say("3栋2单元502厨房水管漏水了，明天下午三点来修吧")
    chat.press("跳过")
    chat.press("修改")
    chat.press("上门时间")
    chat.expect("什么时候")
    chat.say("后天上午十点")
    chat.expect("请核对", "11月29日 10:00")
    chat.press("确认")
    chat.expect("报修已登记", "11月29日 10:00")


def test_cancel_in_words_leaves_the_flow_and_stores_nothing(app: App) -> None:
    chat = ChatDriver(app, user_id=6006)
    chat.register()
    chat.say("空调不制冷了")
    chat.say("算了，不报了")
    chat.expect("已取消")
    assert tickets_of(app, 6006) == []
    chat.say("/cancel")
    chat.expect("没有进行中")


def test_several_open_tickets_are_separate(app: App, clock: FakeClock) -> None:
    chat = ChatDriver(app, user_id=7007)
    chat.register()
    for text in ("3栋2单元502厨房水管漏水了，明天下午三点来修吧", "3栋2单元502门锁坏了，明天上午十点来"):
        chat.say(text)
        chat.press("跳过")
        chat.press("确认")
        clock.advance(timedelta(minutes=5))
    chat.say("/mytickets")
    text = chat.expect("R2611270001", "R2611270002", "待受理")
    assert "水管" in text and "门锁" in text


def test_restart_mid_conversation_continues(settings: Settings, clock: FakeClock, nlu: NluBackend) -> None:
    first = build_app(settings, clock=clock, nlu=nlu)
    chat = ChatDriver(first, user_id=8008)
    chat.register()
    chat.say("阳台地漏堵了")
    chat.expect("是您家")
    assert any("在我家" in label for label in chat.buttons())
    first.close()

    second = build_app(settings, clock=clock, nlu=nlu)  # a new process on the same database
    shown_before = chat.last
    chat = ChatDriver(second, user_id=8008)
    chat.last = shown_before  # the button is still on the resident's screen
    chat.press("在我家")
    chat.expect("什么时候")
    chat.say("明天下午两点")
    chat.press("跳过")
    chat.press("确认")
    chat.expect("报修已登记")
    second.close()


def test_map_pin_answers_where_and_early_photo_is_kept(app: App) -> None:
    chat = ChatDriver(app, user_id=9009)
    chat.say("窗户关不上了，锁扣坏了")
    chat.expect("哪个房号")
    chat.send_photo("window-1")
    chat.expect("照片已收到", "哪个房号")  # kept, and the open question is asked again
    chat.send_location(22.54321, 114.05432)
    chat.expect("联系电话")
    chat.send_voice()
    chat.expect("无法处理")
    chat.say("13700001111")
    chat.press("尽快")
    chat.expect("地图定位（22.54321, 114.05432）", "照片：1 张")
