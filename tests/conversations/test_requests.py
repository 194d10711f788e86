"""Other requests: emergency first-aid answer, complaint apology, thanks for suggestions and praise,
service orders with prices, FAQ answers, and a person when the bot has no answer."""

from __future__ import annotations

from bot.app import App
from dialogs.domain import Priority, Ticket, TicketType
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
    text = chat.expect("紧急", "0755-88889999", "具体位置")
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
    chat.expect("Emergency received", "dispatched")
    chat.expect_not("Tell me exactly where")


def test_complaint_apologises_first_and_promises_24h(app: App) -> None:
    chat = ChatDriver(app, user_id=2103)
    chat.say("/start")
    chat.say("3栋2单元502")
    chat.share_contact("13812345678")
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
    chat.expect("桶装水配送", "收费")
    chat.press("确认")
    chat.expect("已为您预约", "O261127")


def test_service_catalogue_pages(app: App) -> None:
    chat = ChatDriver(app, user_id=2106, language_code="en")
    chat.say("I'd like to book one of your courtesy services")
    chat.expect("page 1/")
    chat.press("Next")
    chat.expect("page 2/")
    chat.press("Lamp installation")
    chat.expect("Lamp installation", "1–20 yuan per visit")
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
    chat.say("/start")
    chat.say("3栋2单元502")
    chat.share_contact("13812345678")
    chat.say("卧室门锁坏了")
    chat.expect("是您家")
    chat.say("楼道里冒烟了，好像着火了！")
    chat.expect("紧急", "0755-88889999", "已派发", "继续刚才未完成", "是您家")
    chat.press("在我家")
    chat.expect("什么时候")
