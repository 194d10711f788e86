"""A whole ticket life over real HTTP: a resident's report reaches the staff group as a card; a technician
accepts, replies (relayed to the resident) and resolves from Telegram; the resident confirms; a non-staff
user's button press is refused and changes nothing."""

from __future__ import annotations

from bot.app import App
from bot.telegram.callbacks import ActionCallback
from dialogs.domain import StaffMember, StaffRole, TicketStatus
from tests.e2e.support import STAFF_CHAT, Session, running
from tests.fake_bot_api import FakeBotApi, SentMessage

__all__ = ["running"]

TECHNICIAN, STRANGER = 7770001, 7770002


def button_data(message: SentMessage, label: str) -> str:
    for row in message.inline_buttons():
        for button in row:
            if label in button["text"]:
                ActionCallback.unpack(button["callback_data"])
                return str(button["callback_data"])
    raise AssertionError(f"no button {label!r} in {message.inline_buttons()}")


async def group_card(api: FakeBotApi, count: int) -> SentMessage:
    """The group's card after `count` versions (edits update the same message in the fake server)."""
    await api.wait_for_calls("editMessageText", count - 1, timeout=15) if count > 1 else None
    (card,) = await api.wait_for_messages(STAFF_CHAT, 1, timeout=15)
    return card


async def test_ticket_life_over_http(running: tuple[FakeBotApi, App]) -> None:
    api, app = running
    with app.uow_factory() as uow:
        uow.staff.save(
            member=StaffMember(id=None, telegram_id=TECHNICIAN, name="王建国", role=StaffRole.TECHNICIAN)
        )
        uow.commit()
    resident = Session(api, user_id=6660003)
    technician = Session(api, user_id=TECHNICIAN)
    await resident.say("/start", n=2)
    await resident.say("3栋2单元502")
    api.push_contact(resident.user_id, "13812345678")
    await resident.answers(2)
    (ask_photo,) = await resident.say("3栋2单元502卫生间下水道堵了，明天上午十点来")
    (summary,) = await resident.press(ask_photo, "跳过")
    (created,) = await resident.press(summary, "确认")
    reference = (created.text or "").split("单号 ")[1][:11]

    card = await group_card(api, 1)
    assert reference in (card.text or "") and "待受理" in (card.text or "")

    answered = len(api.calls_to("answerCallbackQuery"))
    query_id = api.push_callback(STRANGER, card.message_id, button_data(card, "接单"))
    answers = await api.wait_for_calls("answerCallbackQuery", answered + 1, timeout=15)
    refusal = next(call.params for call in answers if call.params.get("callback_query_id") == query_id)
    assert "没有权限" in str(refusal.get("text")) and refusal.get("show_alert") in (True, "true")
    assert api.sent_messages(STRANGER) == []  # a pop-up for the presser, not a message they may never see
    with app.uow_factory() as uow:
        ticket = uow.tickets.get(reference=reference)
        assert ticket is not None and ticket.status is TicketStatus.OPEN

    api.push_callback(TECHNICIAN, card.message_id, button_data(card, "接单"))
    (accepted,) = await resident.answers(1)
    assert "已由王师傅受理" in (accepted.text or "")
    (private_card,) = await technician.answers(1)  # the assignee's own copy of the card
    assert "13812345678" in (private_card.text or "")
    card = await group_card(api, 2)
    assert "已受理" in (card.text or "")

    api.push_callback(TECHNICIAN, card.message_id, button_data(card, "回复"))
    (prompt,) = await technician.answers(1)
    assert "请输入要回复住户的内容" in (prompt.text or "")
    await technician.say("明天上午十点到，请家里留人")
    (relayed,) = await resident.answers(1)
    assert "王师傅回复：明天上午十点到" in (relayed.text or "")

    api.push_callback(TECHNICIAN, card.message_id, button_data(card, "完成"))
    await technician.answers(1)
    await technician.say("疏通了下水管，已试水")
    (done,) = await resident.answers(1)
    assert "疏通了下水管" in (done.text or "")
    (closed,) = await resident.press(done, "已修好")
    assert "感谢您的确认" in (closed.text or "")
    with app.uow_factory() as uow:
        ticket = uow.tickets.get(reference=reference)
        assert ticket is not None and ticket.status is TicketStatus.CLOSED
