"""Every kind of request over real HTTP, in Chinese and English: emergency, complaint, service order with a
time slot, suggestion, a question with no FAQ answer relayed to the staff group, and ticket status."""

from __future__ import annotations

from bot.app import App
from tests.e2e.support import STAFF_CHAT, Session, running
from tests.fake_bot_api import FakeBotApi

__all__ = ["running"]


async def test_chinese_requests_over_http(running: tuple[FakeBotApi, App]) -> None:
    api, _app = running
    chat = Session(api, user_id=6660001)
    safety, ask_where = await chat.say("救命，电梯困人了！", n=2)
    assert "电梯困人" in (safety.text or "") and "具体位置" in (ask_where.text or "")
    (dispatched,) = await chat.say("3栋2单元的电梯，在8楼和9楼之间")
    assert "已派发" in (dispatched.text or "")

    apology, created = await chat.say("我要投诉保安态度很差，我住3栋2单元502", n=2)
    assert "致歉" in (apology.text or "") and "24小时内" in (created.text or "")

    (slots,) = await chat.say("帮我订两桶桶装水")
    (offer,) = await chat.press(slots, "月")  # the first offered slot ("11月28日 …"; the month is today's)
    assert "收费" in (offer.text or "")
    (booked,) = await chat.press(offer, "确认")
    assert "已为您预约" in (booked.text or "")

    (thanks,) = await chat.say("建议在小区里多装几个快递柜")
    assert "感谢您的宝贵建议" in (thanks.text or "")


async def test_english_question_is_relayed_to_staff_and_status(running: tuple[FakeBotApi, App]) -> None:
    api, _app = running
    chat = Session(api, user_id=6660002, language_code="en")
    (promised,) = await chat.say("are dogs allowed in the clubhouse?")
    assert "a person will answer within 2 hours" in (promised.text or "")
    reference = (promised.text or "").split("Reference ")[1][:11]
    group = await api.wait_for_messages(STAFF_CHAT, 2, timeout=15)  # the H ticket's card, then the relay
    assert reference in (group[0].text or "") and "clubhouse" in (group[-1].text or "")
    (ack,) = await chat.say("mine is a small poodle, very quiet")
    assert "Passed on to our staff" in (ack.text or "")
    group = await api.wait_for_messages(STAFF_CHAT, 3, timeout=15)
    assert "small poodle" in (group[-1].text or "")
    (left,) = await chat.say("/cancel")
    assert "left the conversation" in (left.text or "")
    (status,) = await chat.say("any update on my request?")
    assert reference in (status.text or "") and "being arranged" in (status.text or "")
