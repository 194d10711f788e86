"""Other requests: emergency first-aid answer, complaint apology, thanks for suggestions and praise,
service orders with prices, FAQ answers, and a person when the bot has no answer."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from bot.app import App, build_app
from bot.settings import Settings
from dialogs.clock import FakeClock
from dialogs.domain import Priority, StaffMember, StaffRole, Ticket, TicketType
from dialogs.messages import Action, ActionKind
from dialogs.nlu.types import NluBackend
from tests.harness import ChatDriver


def only_ticket(app: App, user_id: int) -> Ticket:
    with app.uow_factory() as uow:
        resident = uow.residents.find(channel="console", external_id=user_id)
        assert resident is not None and resident.id is not None
        (ticket,) = uow.tickets.list_for_resident(resident_id=resident.id)
        return ticket


def test_emergency_answers_first_and_asks_only_where(app: App) -> None:
    chat = ChatDriver(app, user_id=2101)
    chat.say("家里好大的煤气味，怎么办")
    text = chat.expect("燃气泄漏", "关闭燃气总阀", "0755-88889999", "具体位置")
    assert text.index("0755-88889999") < text.index("具体位置")  # safety before questions
    ticket = only_ticket(app, 2101)
    assert ticket.type is TicketType.EMERGENCY
    assert ticket.priority is Priority.URGENT
    chat.say("5栋1单元301")
    chat.expect("已派发", "5栋1单元301")
    assert only_ticket(app, 2101).location == "5栋1单元301"


def test_emergency_with_place_asks_nothing(app: App) -> None:
    chat = ChatDriver(app, user_id=2102, language_code="en")
    chat.say("someone is trapped in the lift in building 3!")
    chat.expect("Someone trapped in a lift", "do not force the doors", "dispatched", "building 3, lift")
    chat.expect_not("Tell me exactly where")


def test_complaint_apologises_first_and_promises_24h(app: App) -> None:
    chat = ChatDriver(app, user_id=2103)
    chat.register()
    chat.say("我要投诉你们保安态度太差了，跟他说话爱答不理的")
    text = chat.expect("抱歉", "24小时内")
    assert text.index("抱歉") < text.index("24小时内")
    assert only_ticket(app, 2103).type is TicketType.COMPLAINT


def test_suggestion_and_praise_are_thanked(app: App) -> None:
    chat = ChatDriver(app, user_id=2104)
    chat.say("建议小区多装几个电动车充电桩")
    chat.expect("感谢您的宝贵建议", "S261127")
    chat.say("表扬一下维修部的张师傅，修得又快又好")
    chat.expect("谢谢您的表扬", "P261127")


def test_service_order_shows_price_and_confirms(app: App) -> None:
    chat = ChatDriver(app, user_id=2105)
    chat.say("帮我订两桶桶装水送到家")
    chat.expect("桶装水配送", "选择")
    # Friday 10:00 + 2 h lead time: the first slot is today 14:00, then Saturday morning and afternoon
    assert chat.buttons()[:3] == ["11月27日 14:00", "11月28日 09:00", "11月28日 14:00"]
    chat.press("11月28日 09:00")
    chat.expect("收费：按水站价格", "11月28日 09:00")
    chat.press("确认")
    chat.expect("已为您预约", "O261127", "11月28日 09:00")


def test_service_catalogue_pages(app: App) -> None:
    chat = ChatDriver(app, user_id=2106, language_code="en")
    chat.say("I'd like to order one of your courtesy services, what is on the list?")
    chat.expect("page 1/")
    chat.press("Next")
    chat.expect("page 2/")
    chat.press("Lamp installation")
    chat.say("next Monday at 2pm")
    chat.expect("Lamp installation", "1–20 yuan per visit", "Mon 30 Nov 14:00")
    chat.press("Submit")
    chat.expect("Booked")


def test_question_answered_from_faq(app: App) -> None:
    chat = ChatDriver(app, user_id=2107)
    chat.say("装修押金多久能退？")
    chat.expect("7个工作日内退还押金")


def test_handoff_opens_h_ticket(app: App) -> None:
    chat = ChatDriver(app, user_id=2108)
    chat.say("转人工")
    chat.expect("人工客服", "H261127", "2小时内")


def test_emergency_in_the_middle_of_a_repair_is_handled_then_the_repair_resumes(app: App) -> None:
    chat = ChatDriver(app, user_id=2109)
    chat.register()
    chat.say("卧室门锁坏了")
    chat.expect("是您家")
    chat.say("楼道里冒烟了，好像着火了！")
    chat.expect("紧急", "0755-88889999", "已派发", "继续刚才未完成", "是您家")
    chat.press("在我家")
    chat.expect("什么时候")


def test_anonymous_complaint_and_a_repeat_is_linked(app: App, clock: FakeClock) -> None:
    chat = ChatDriver(app, user_id=2110)
    chat.say("我要匿名投诉，楼上天天半夜装修噪音太大了，我住3栋2单元502")
    chat.expect("抱歉", "匿名", "C2611270001")
    clock.advance(timedelta(days=3))
    chat.say("投诉楼上半夜装修噪音，又开始了")
    chat.expect("C2611300001", "类似问题", "C2611270001")
    with app.uow_factory() as uow:
        second = uow.tickets.get(reference="C2611300001")
        assert second is not None and second.details["linked_to"] == "C2611270001"


def test_praise_names_the_registered_staff_member(app: App) -> None:
    with app.uow_factory() as uow:
        uow.staff.save(member=StaffMember(id=None, telegram_id=900, name="张建国", role=StaffRole.TECHNICIAN))
        uow.commit()
    chat = ChatDriver(app, user_id=2111)
    chat.say("表扬一下张建国师傅，昨天修水管特别认真")
    chat.expect("谢谢您对张建国的表扬")
    assert only_ticket(app, 2111).details["staff_telegram_id"] == "900"


def test_unanswerable_question_goes_to_a_person_and_later_messages_are_relayed(
    settings: Settings, clock: FakeClock, nlu: NluBackend
) -> None:
    app = build_app(replace(settings, staff_chat_id=-100500), clock=clock, nlu=nlu)
    chat = ChatDriver(app, user_id=2112)
    chat.say("小区的游泳池什么时候开放？")
    chat.expect("请同事为您确认", "H261127", "2小时内")
    staff = [m for m in chat.transport.delivered if m.chat_id == -100500]
    assert staff and "游泳池" in staff[-1].reply.text
    chat.say("另外想问一下儿童游泳课")
    chat.expect("已转给客服")
    assert "儿童游泳课" in [m for m in chat.transport.delivered if m.chat_id == -100500][-1].reply.text
    chat.say("/cancel")
    chat.expect("结束人工服务")
    app.close()


def test_ticket_status_reports_promise(app: App) -> None:
    chat = ChatDriver(app, user_id=2113)
    chat.register()
    chat.say("3栋2单元502厨房水管漏水了，明天下午三点来修吧")
    chat.press("跳过")
    chat.press("确认")
    chat.say("我报的修什么时候来啊")
    chat.expect("R2611270001", "待受理", "正在安排", "11月28日 15:00")


def test_topic_switch_parks_the_first_request(app: App) -> None:
    chat = ChatDriver(app, user_id=2114)
    chat.say("我要投诉，你们客服电话老是打不通，太耽误事了")
    chat.expect("抱歉", "位置")
    chat.say("对了，想问一下物业费怎么交")
    chat.expect("物业费按建筑面积", "继续刚才未完成", "位置")
    chat.say("我住5栋1单元301")
    chat.expect("投诉已登记")


def test_voice_note_gets_a_polite_explanation(app: App) -> None:
    chat = ChatDriver(app, user_id=2115)
    chat.say("卫生间灯不亮了")
    chat.say("12-3-401")
    chat.share_contact("13812345678")
    chat.say("明天上午十点")
    chat.send_voice()
    chat.expect("无法处理")
    chat.send_photo()
    chat.expect("照片已收到", "请核对")


def test_forged_or_stale_buttons_change_nothing(app: App) -> None:
    chat = ChatDriver(app, user_id=2116)
    chat.say("帮我订两桶桶装水")
    chat.send(replace(chat._base(), action=Action(ActionKind.SLOT, "202001010900")))
    chat.expect("没能识别时间")
    chat.send(replace(chat._base(), action=Action(ActionKind.PAGE, "not-a-number")))
    chat.send(replace(chat._base(), action=Action(ActionKind.STAFF_ACCEPT, "R2611279999")))
    chat.expect("没有找到工单")
    chat.send(replace(chat._base(), action=Action(ActionKind.DONE_CHECK, "R2611270001|yes")))
    chat.expect("按钮已失效")


def test_status_finds_a_reference_written_inside_chinese(app: App) -> None:
    chat = ChatDriver(app, user_id=2117)
    chat.say("建议小区多装几个电动车充电桩")
    chat.say("查一下S2611270001进度")
    chat.expect("S2611270001")
