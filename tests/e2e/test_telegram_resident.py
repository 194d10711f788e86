"""A resident's whole first visit over real HTTP: aiogram long-polls a fake Bot API server, the engine
answers, the outbox sender delivers — /start, household linking, a repair report and /mytickets."""

from __future__ import annotations

from bot.app import App
from dialogs.domain import REFERENCE_PATTERN, TicketType
from tests.e2e.support import RESIDENT, Session, running
from tests.fake_bot_api import FakeBotApi

__all__ = ["running"]


async def test_first_visit_repair_report_and_my_tickets(running: tuple[FakeBotApi, App]) -> None:
    api, app = running
    chat = Session(api)
    greeting, ask_room = await chat.say("/start", n=2)
    assert "您好" in (greeting.text or "") and "房号" in (ask_room.text or "")

    (ask_phone,) = await chat.say("我家是3栋2单元502")
    keyboard = (ask_phone.reply_markup or {}).get("keyboard")
    assert keyboard and keyboard[0][0]["request_contact"] is True

    api.push_contact(RESIDENT, "+8613812345678")
    linked, _help = await chat.answers(2)
    assert "3栋2单元502" in (linked.text or "") and "13812345678" in (linked.text or "")

    (ask_where,) = await chat.say("厨房水管漏水了，明天下午三点来修吧")
    assert "是您家" in (ask_where.text or "")  # room, category and time were understood; only "where?"
    (ask_photo,) = await chat.press(ask_where, "在我家")
    assert "照片" in (ask_photo.text or "")
    api.push_photo(RESIDENT)
    received, summary = await chat.answers(2)
    assert "照片已收到" in (received.text or "")
    assert "水管/漏水" in (summary.text or "") and "15:00" in (summary.text or "")

    (created,) = await chat.press(summary, "确认")
    assert "报修已登记" in (created.text or "")
    reference = (created.text or "").split("单号 ")[1][:11]
    assert REFERENCE_PATTERN.match(reference)

    (listing,) = await chat.say("/mytickets")
    assert reference in (listing.text or "") and "待受理" in (listing.text or "")

    with app.uow_factory() as uow:
        ticket = uow.tickets.get(reference=reference)
        assert ticket is not None and ticket.type is TicketType.REPAIR
        assert ticket.channel == "telegram" and ticket.chat_id == RESIDENT
        assert len(ticket.photos) == 1 and ticket.photos[0].startswith("AgAC-photo-")
    assert api.calls_to("setMyCommands"), "the command menu is registered (or its failure tolerated)"
