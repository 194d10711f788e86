"""Follow-ups (回访) and satisfaction surveys over real HTTP: aiogram long-polls the fake Bot API, the ticker
queues what fell due on the (running) test clock, the outbox sender delivers, and the resident answers by
pressing inline buttons — real callback queries through the dispatcher, as on Telegram.

The engine-level tests (tests/followups, tests/surveys) prove the rules; these prove the Telegram path carries
them: the callback data of the rating and survey buttons survives packing, presses reach the right flow,
keyed messages are edited in place, and staff hear about an unhappy resident in their own chats.
"""

from __future__ import annotations

import asyncio
import json
import re

from sqlmodel import Session as DbSession
from sqlmodel import col, select

from bot.app import App
from bot.telegram.callbacks import ActionCallback
from dialogs.domain import EventKind, StaffMember, StaffRole, TicketStatus, TicketType
from dialogs.followup.records import FollowUpStatus
from dialogs.messages import ChannelName
from dialogs.survey.campaigns import campaign_results, create_campaign, start_campaign
from storage.tables import OutboxRow
from tests.e2e.support import STAFF_CHAT, RunningClock, Session, running_clocked
from tests.fake_bot_api import FakeBotApi, SentMessage
from tests.harness import local

__all__ = ["running_clocked"]

AGENT, SUPERVISOR = 7780001, 7780002
RESIDENT = 6680001
WAIT = 15.0


def exact_button(message: SentMessage, label: str) -> str:
    """The callback data of the button labelled exactly `label` (不满意 is part of 非常不满意)."""
    for row in message.inline_buttons():
        for button in row:
            if button["text"] == label:
                ActionCallback.unpack(button["callback_data"])  # typed callback data, not a free string
                return str(button["callback_data"])
    raise AssertionError(f"no button {label!r} in {message.inline_buttons()}")


def labels(message: SentMessage) -> list[str]:
    """The button labels in reading order."""
    return [button["text"] for row in message.inline_buttons() for button in row]


def add_staff(app: App) -> None:
    with app.uow_factory() as uow:
        for telegram_id, name, role in [
            (AGENT, "李前台", StaffRole.AGENT),
            (SUPERVISOR, "赵主管", StaffRole.SUPERVISOR),
        ]:
            member = StaffMember(
                id=None, telegram_id=telegram_id, name=name, role=role, skills=("front_desk",)
            )
            uow.staff.save(member=member)
        uow.commit()


async def register(resident: Session) -> None:
    """/start, the room, the shared phone: the resident is linked to 3栋2单元502."""
    await resident.say("/start", n=2)
    await resident.say("3栋2单元502")
    resident.api.push_contact(resident.user_id, "13812345678")
    linked, _help = await resident.answers(2)
    assert "3栋2单元502" in (linked.text or "")


async def message_with(api: FakeBotApi, chat_id: int, needle: str, after: int) -> SentMessage:
    """The first message to `chat_id` after the first `after` whose text has `needle` (other jobs, such
    as the morning digest, may write to the same chat in between)."""
    count = after + 1
    while True:
        sent = await api.wait_for_messages(chat_id, count, timeout=WAIT)
        found = [m for m in sent[after:] if needle in (m.text or "")]
        if found:
            return found[0]
        count = len(sent) + 1


def queued_to(app: App, chat_id: int, needle: str) -> int:
    """How many outbox rows for `chat_id` carry `needle`: what a turn queued, delivered or not yet (the
    outbox commits with the turn, so this cannot miss a message the sender has still to deliver)."""
    with DbSession(app.db) as db:
        rows = db.exec(select(OutboxRow).where(col(OutboxRow.chat_id) == chat_id)).all()
    return sum(1 for row in rows if needle in json.dumps(row.payload, ensure_ascii=False))


async def tick(app: App) -> int:
    """One ticker run on the Telegram channel, off the event loop (as the scheduler runs it)."""
    return await asyncio.to_thread(app.ticker(ChannelName.TELEGRAM).tick)


async def test_a_low_rating_pressed_on_telegram_reopens_and_escalates(
    running_clocked: tuple[FakeBotApi, App, RunningClock],
) -> None:
    api, app, clock = running_clocked
    add_staff(app)
    resident, agent = Session(api, RESIDENT), Session(api, AGENT)
    await register(resident)

    apology, created = await resident.say("我要投诉，楼下饭店油烟太大了，窗户都不敢开", n=2)
    assert "致歉" in (apology.text or "")
    found = re.search(r"\b[A-Z]\d{10}\b", created.text or "")
    assert found, created.text
    reference = found.group(0)

    (card,) = await api.wait_for_messages(STAFF_CHAT, 1, timeout=WAIT)
    assert reference in (card.text or "")
    api.push_callback(AGENT, card.message_id, exact_button(card, "接单"))
    await resident.answers(1)  # accepted by 李前台
    await agent.answers(1)  # the assignee's own copy of the card
    await api.wait_for_calls("editMessageText", 1, timeout=WAIT)
    api.push_callback(AGENT, card.message_id, exact_button(card, "完成"))
    await agent.answers(1)  # "what was done?"
    await agent.say("已协调饭店加装油烟净化器")
    (done,) = await resident.answers(1)
    assert "油烟净化器" in (done.text or "")
    with app.uow_factory() as uow:
        ticket = uow.tickets.get(reference=reference)
        assert ticket is not None and ticket.id is not None and ticket.status is TicketStatus.RESOLVED
        followup = uow.followups.for_ticket(ticket_id=ticket.id)
    assert followup is not None and followup.status is FollowUpStatus.SCHEDULED
    assert followup.due_at == local(app, "2026-11-28T10:00")

    supervisor_seen = len(api.sent_messages(SUPERVISOR))
    clock.set(local(app, "2026-11-28T10:00"))
    await tick(app)
    (question,) = await resident.answers(1)
    assert "【回访】" in (question.text or "") and reference in (question.text or "")
    assert labels(question) == ["非常满意", "满意", "一般", "不满意", "非常不满意"]

    unhappy = exact_button(question, "不满意")
    api.push_callback(RESIDENT, question.message_id, unhappy)
    replies = await resident.answers(2)
    escalated = next(m.text or "" for m in replies if "非常抱歉" in (m.text or ""))
    complaint_ref = escalated.split("登记为投诉 ")[1][:11]
    assert any("问题彻底解决了吗" in (m.text or "") for m in replies)
    told = await message_with(api, SUPERVISOR, "【回访不满意】", after=supervisor_seen)
    assert reference in (told.text or "") and complaint_ref in (told.text or "")

    api.push_callback(RESIDENT, question.message_id, unhappy)  # the same button again
    (again,) = await resident.answers(1)
    assert "无需重复提交" in (again.text or "")
    with app.uow_factory() as uow:
        ticket = uow.tickets.get(reference=reference)
        assert ticket is not None and ticket.id is not None
        events = list(uow.tickets.events(ticket_id=ticket.id))
        followup = uow.followups.for_ticket(ticket_id=ticket.id)
        linked = [
            t
            for t in uow.tickets.list_for_resident(resident_id=ticket.resident_id)
            if t.details.get("linked_to") == reference
        ]
    assert ticket.status is TicketStatus.OPEN
    assert sum(1 for e in events if e.kind is EventKind.STATUS_CHANGED and e.data.get("reopened")) == 1
    assert followup is not None and followup.rating == 2 and followup.complaint_reference == complaint_ref
    assert [(t.reference, t.type) for t in linked] == [(complaint_ref, TicketType.COMPLAINT)]
    assert queued_to(app, SUPERVISOR, "【回访不满意】") == 1  # counted once: no second escalation


async def test_a_survey_form_answered_by_buttons_on_telegram(
    running_clocked: tuple[FakeBotApi, App, RunningClock],
) -> None:
    api, app, _clock = running_clocked
    resident = Session(api, RESIDENT)
    await register(resident)
    with app.uow_factory() as uow:
        campaign, targeted = create_campaign(uow, app.site, name="2026年度满意度调查", now=app.clock.now())
        assert campaign.id is not None and targeted == 1
        start_campaign(uow, campaign.id, app.clock.now())
        uow.commit()

    assert await tick(app) >= 1
    (form,) = await resident.answers(1)
    assert "2026年度满意度调查" in (form.text or "") and "10 个问题" in (form.text or "")

    edits = len(api.calls_to("editMessageText"))
    scores = [5, 3, 4, 2, 5, 5, 1, 4, 3, 5]
    api.push_callback(RESIDENT, form.message_id, exact_button(form, "开始填写"))
    for index, score in enumerate(scores, start=1):
        edits += 1
        await api.wait_for_calls("editMessageText", edits, timeout=WAIT)
        assert f"第 {index}/10 题" in (form.text or ""), form.text
        label = next(text for text in labels(form) if text.startswith(f"{score} "))
        api.push_callback(RESIDENT, form.message_id, exact_button(form, label))
    edits += 1
    await api.wait_for_calls("editMessageText", edits, timeout=WAIT)
    assert "意见或建议" in (form.text or "")
    api.push_callback(RESIDENT, form.message_id, exact_button(form, "跳过"))
    edits += 1
    await api.wait_for_calls("editMessageText", edits, timeout=WAIT)
    assert "感谢您参与满意度调查" in (form.text or "") and labels(form) == []

    edited = {(call.params["chat_id"], call.params["message_id"]) for call in api.calls_to("editMessageText")}
    assert edited == {(RESIDENT, form.message_id)}  # one message, edited in place
    assert len(api.sent_messages(RESIDENT)) == resident.seen  # nothing new was sent for the form
    assert len(api.answered_callbacks) == len(scores) + 2  # every press answered: no endless spinner
    with app.uow_factory() as uow:
        _, results = campaign_results(uow, campaign.id)
        answers = sorted((a.dimension, a.score) for a in uow.surveys.answers(campaign_id=campaign.id))
    assert (results.sent, results.returned, results.answers, results.comments) == (1, 1, 10, 0)
    assert results.satisfied == sum(1 for score in scores if score >= 4)
    assert answers == sorted(zip(campaign.dimensions, scores, strict=True))
    assert [d.mean for d in results.dimensions] == scores
