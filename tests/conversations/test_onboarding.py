"""First contact: a greeting in the resident's language, room and phone linked once, bad input
answered politely."""

from __future__ import annotations

from bot.app import App
from tests.harness import ChatDriver


def test_start_links_room_and_shared_contact(app: App) -> None:
    chat = ChatDriver(app)
    chat.say("/start")
    chat.expect("您好，这里是幸福家园", "房号")
    chat.say("我住3栋2单元502")
    chat.expect("联系电话")
    assert chat.last[-1].request_contact_label is not None
    chat.share_contact("+86 138 1234 5678")
    chat.expect("房号 3栋2单元502", "电话 13812345678")
    with app.uow_factory() as uow:
        resident = uow.residents.find(channel="console", external_id=chat.user_id)
        assert resident is not None and resident.phone == "13812345678"
        assert resident.household_id is not None
        household = uow.households.get(household_id=resident.household_id)
        assert household is not None and household.room == "3-2-502"
    chat.say("/start")
    chat.expect("您可以直接用文字告诉我")
    chat.expect_not("房号，例如")


def test_bad_room_unknown_building_and_bad_phone_are_answered_politely(app: App) -> None:
    chat = ChatDriver(app, user_id=1102)
    chat.say("/start")
    chat.say("就是那个楼")
    chat.expect("没能识别房号")
    chat.say("99栋1单元101")
    chat.expect("没有找到“99”号楼")
    chat.say("B座1203")
    chat.say("12345")
    chat.expect("号码好像不完整")
    chat.share_contact("13900001111", owner=999)  # somebody else's card
    chat.expect("号码好像不完整")
    chat.say("13900001111")
    chat.expect("房号 B栋1203")


def test_english_resident_is_greeted_in_english_and_can_switch(app: App) -> None:
    chat = ChatDriver(app, user_id=1103, language_code="en-US")
    chat.say("/start")
    chat.expect("Hello, this is Happy Home", "your room")
    chat.say("/lang zh")
    chat.expect("已切换为中文")
    chat.say("/lang")
    chat.press("English")
    chat.expect("Language set to English")


def test_unknown_command_and_media_without_context(app: App) -> None:
    chat = ChatDriver(app, user_id=1104)
    chat.say("/frobnicate")
    chat.expect("没有这个命令")
    chat.send_photo()
    chat.expect("请用文字告诉我")


def test_hostile_input_gets_polite_answers(app: App) -> None:
    chat = ChatDriver(app, user_id=1105)
    chat.say("x" * 5000)
    chat.expect("消息太长")
    chat.say("\x00\x07'; DROP TABLE tickets; --")
    assert chat.last  # answered (clarified or out of scope), never a crash
    chat.say("<b>3栋2单元502</b> 厨房漏水 *急*")
    chat.expect("联系电话")  # understood as a repair at 3栋2单元502; markup is just text
    chat.say("🙂🙂🙂")
    assert chat.last
    with app.uow_factory() as uow:
        resident = uow.residents.find(channel="console", external_id=1105)
        assert resident is not None
