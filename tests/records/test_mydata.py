"""/mydata as a transcript: the resident gets a file of everything stored about them, and nobody else's."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

from bot.app import App
from bot.records_files import ExportDir
from dialogs.clock import FakeClock
from dialogs.domain import EventKind, Ticket
from dialogs.followup.records import FollowUp, FollowUpKind, FollowUpStatus
from dialogs.messages import FileKind
from dialogs.survey.model import Answer, Campaign, CampaignStatus
from tests.harness import ChatDriver
from tests.records.support import add_event


def report_leak(chat: ChatDriver) -> str:
    chat.say("3栋2单元502厨房水管漏水了，明天下午三点来修吧")
    chat.press("跳过")
    chat.press("确认")
    return chat.text().split("单号 ")[1][:11]


def ticket_of(app: App, reference: str) -> Ticket:
    with app.uow_factory() as uow:
        found = uow.tickets.get(reference=reference)
    assert found is not None
    return found


def answer_callback_and_survey(app: App, leak: Ticket) -> None:
    """The resident answered the leak's callback; they and the neighbour each rated part of the household's
    survey form."""
    now = app.clock.now()
    assert leak.id is not None and leak.household_id is not None
    with app.uow_factory() as uow:
        uow.followups.add(
            followup=FollowUp(
                id=None,
                ticket_id=leak.id,
                reference=leak.reference,
                kind=FollowUpKind.REPAIR,
                status=FollowUpStatus.ANSWERED,
                resident_id=leak.resident_id,
                channel=leak.channel,
                chat_id=leak.chat_id,
                resolved_at=now,
                due_at=now,
                window_end=now,
                created_at=now,
                sent_at=now,
                answered_at=now,
                rating=5,
                solved=True,
                comment="师傅很专业",
            )
        )
        campaign = uow.surveys.add_campaign(
            campaign=Campaign(
                id=None,
                name="年度调查",
                status=CampaignStatus.RUNNING,
                dimensions=("water", "cleaning"),
                rate_per_minute=20,
                reminder_days=3,
                created_at=now,
            )
        )
        assert campaign.id is not None
        uow.surveys.add_deliveries(campaign_id=campaign.id, household_ids=[leak.household_id])
        (form,) = uow.surveys.claim_due(campaign_id=campaign.id, now=now, limit=1)
        neighbour = uow.residents.find(channel="console", external_id=1002)
        assert form.id is not None and neighbour is not None
        uow.surveys.record_answer(answer=Answer(form.id, "water", 5, leak.resident_id, now))
        assert uow.surveys.record_answer(answer=Answer(form.id, "cleaning", 1, neighbour.id, now))
        uow.commit()


def delivered_file(chat: ChatDriver) -> tuple[str, dict[str, Any], bytes]:
    files = [reply.file for reply in chat.last if reply.file is not None]
    assert len(files) == 1, chat.dump()
    file = files[0]
    assert file.kind is FileKind.DOCUMENT
    content = Path(file.path).read_bytes()
    return file.filename, json.loads(content), content


def test_a_resident_gets_their_own_data_as_a_file(app: App) -> None:
    neighbour = ChatDriver(app, user_id=1002)
    neighbour.register(phone="13900000002")
    neighbour.say("3栋2单元502楼上装修太吵了，天天噪音扰民")
    me = ChatDriver(app, user_id=1001)
    me.register(phone="13812345678")
    reference = report_leak(me)
    leak = ticket_of(app, reference)
    for kind, actor, facts in [
        (EventKind.ASSIGNED, "system", {"staff_id": 7, "name": "王建国"}),
        (EventKind.ESCALATED, "system", {"promise": "accept", "level": 2, "to": [504]}),
        (EventKind.STAFF_REPLY, "staff:7", {"text": "师傅明天下午三点到", "feedback": True}),
    ]:
        add_event(app, leak, kind, app.clock.now(), actor, **facts)

    answer_callback_and_survey(app, leak)

    me.say("/mydata")

    me.expect("全部数据", "1 张工单")
    filename, data, content = delivered_file(me)
    assert filename == "mydata-20261127.json"
    assert data["profile"]["phone"] == "13812345678"
    assert data["profile"]["room"] == "3-2-502"
    assert data["profile"]["user_id"] == 1001
    assert [ticket["reference"] for ticket in data["tickets"]] == [reference]
    ticket = data["tickets"][0]
    assert "漏水" in ticket["description"]
    history = ticket["history"]
    assert [(item["what"], item["by"]) for item in history] == [
        ("created", "resident"),
        ("staff_reply", "staff"),
    ]
    assert (
        history[1]["data"]["text"] == "师傅明天下午三点到"
    )  # what staff told them, but not who was assigned
    assert "王建国" not in content.decode("utf-8") and "escalated" not in content.decode("utf-8")
    assert ticket["created_at"].endswith("+08:00")  # shown on the site's clock
    # the neighbour shares the household, never the file
    assert b"13900000002" not in content and "装修" not in content.decode("utf-8")
    assert ticket["callback"]["rating"] == 5 and ticket["callback"]["comment"] == "师傅很专业"
    assert data["survey_ratings"] == [
        {"survey": "年度调查", "dimension": "water", "score": 5, "answered_at": "2026-11-27T10:00:00+08:00"}
    ]
    assert Path(me.last[-1].file.path).is_relative_to(app.settings.var_dir)  # type: ignore[union-attr]


def test_english_residents_read_english(app: App) -> None:
    me = ChatDriver(app, user_id=1003, language_code="en")
    me.register(room="B-1203", phone="13812345670")

    me.say("/mydata")

    me.expect("everything we keep about you", "0 request(s)")
    _, data, _ = delivered_file(me)
    assert data["tickets"] == [] and data["profile"]["language"] == "en"
    assert data["profile"]["room"] == "B-1203"


def test_help_mentions_mydata(app: App) -> None:
    chat = ChatDriver(app)
    chat.say("/help")
    chat.expect("/mydata")


def test_data_files_wait_a_week_for_delivery_then_go(clock: FakeClock, tmp_path: Path) -> None:
    exports = ExportDir(tmp_path / "exports")
    made = clock.now()
    first = Path(exports.save("mydata-20261127.json", b"{}", now=made))
    second = Path(exports.save("mydata-20261127.json", b"{}", now=made))
    assert first != second and first.read_bytes() == b"{}"  # one folder each: no collisions, no guessing

    assert exports.prune(now=made + timedelta(days=6)) == 0
    assert exports.prune(now=made + timedelta(days=8), dry_run=True) == 2 and first.exists()
    assert exports.prune(now=made + timedelta(days=8)) == 2
    assert not first.exists() and not second.exists()
