"""The household file (一户一档) holds the callbacks with their ratings and the survey forms, in order."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.app import App
from dialogs.domain import Ticket, TicketStatus, TicketType
from dialogs.followup.records import FollowUp, FollowUpKind, FollowUpStatus
from dialogs.household import HouseholdFile
from dialogs.survey.model import Answer, Campaign, CampaignStatus
from tests.records.support import add_resident, add_ticket, local


def add_followup(
    app: App, ticket: Ticket, status: FollowUpStatus, resolved: datetime, **fields: object
) -> None:
    assert ticket.id is not None
    with app.uow_factory() as uow:
        uow.followups.add(
            followup=FollowUp(
                id=None,
                ticket_id=ticket.id,
                reference=ticket.reference,
                kind=FollowUpKind.REPAIR,
                status=status,
                resident_id=ticket.resident_id,
                channel=ticket.channel,
                chat_id=ticket.chat_id,
                resolved_at=resolved,
                due_at=resolved + timedelta(days=1),
                window_end=resolved + timedelta(days=3),
                created_at=resolved,
                **fields,  # type: ignore[arg-type]
            )
        )
        uow.commit()


def test_callbacks_ratings_and_survey_forms_are_in_the_file(app: App) -> None:
    resident = add_resident(
        app, 1001, room="3-2-502", phone="13812345678", name="张三", since=local(app, "2026-01-05T09:00")
    )
    resolved = local(app, "2026-11-02T16:00")
    leak = add_ticket(
        app,
        resident,
        ticket_type=TicketType.REPAIR,
        created=local(app, "2026-11-02T10:00"),
        finished=resolved,
        status=TicketStatus.RESOLVED,
        description="厨房水管漏水",
        sequence=1,
    )
    add_followup(
        app,
        leak,
        FollowUpStatus.ANSWERED,
        resolved,
        sent_at=local(app, "2026-11-03T10:00"),
        answered_at=local(app, "2026-11-03T10:30"),
        rating=2,
        solved=False,
        comment="还是漏水，请打13812345678",
        complaint_reference="C2611030001",
    )
    lamp = add_ticket(
        app,
        resident,
        ticket_type=TicketType.REPAIR,
        created=local(app, "2026-11-05T10:00"),
        finished=local(app, "2026-11-05T12:00"),
        status=TicketStatus.RESOLVED,
        description="客厅灯不亮",
        sequence=1,
    )
    add_followup(
        app,
        lamp,
        FollowUpStatus.DONE,
        local(app, "2026-11-05T12:00"),
        phone_at=local(app, "2026-11-09T15:00"),
        phone_reason="no_answer",
        phone_result="unreached",
    )
    unsampled = add_ticket(
        app,
        resident,
        ticket_type=TicketType.REPAIR,
        created=local(app, "2026-11-06T10:00"),
        finished=local(app, "2026-11-06T12:00"),
        status=TicketStatus.RESOLVED,
        description="门锁松了",
        sequence=2,
    )
    add_followup(app, unsampled, FollowUpStatus.NOT_SAMPLED, local(app, "2026-11-06T12:00"))
    with app.uow_factory() as uow:
        campaign = uow.surveys.add_campaign(
            campaign=Campaign(
                id=None,
                name="2026年度满意度调查",
                status=CampaignStatus.RUNNING,
                dimensions=("water", "cleaning"),
                rate_per_minute=20,
                reminder_days=3,
                created_at=local(app, "2026-11-10T09:00"),
            )
        )
        assert campaign.id is not None and resident.household_id is not None
        uow.surveys.add_deliveries(campaign_id=campaign.id, household_ids=[resident.household_id])
        (form,) = uow.surveys.claim_due(campaign_id=campaign.id, now=local(app, "2026-11-10T10:00"), limit=5)
        assert form.id is not None
        for dimension, score in (("water", 4), ("cleaning", 2)):
            uow.surveys.record_answer(
                answer=Answer(form.id, dimension, score, resident.id, local(app, "2026-11-10T11:00"))
            )
        uow.surveys.mark_finished(
            delivery_id=form.id, comment="垃圾清运太慢", now=local(app, "2026-11-10T11:05")
        )
        uow.commit()

    with app.uow_factory() as uow:
        text = HouseholdFile(site=app.site, catalog=app.catalog).render(uow, "3栋2单元502")

    lines = text.splitlines()
    callbacks = [line for line in lines if "回访：" in line]
    assert callbacks == [
        "  · 11月03日 10:30 回访：住户已答复｜评分 2/5｜未解决｜意见：还是漏水，请打138****5678"
        "｜已转投诉 C2611030001",
        "  · 11月09日 15:00 回访：电话回访已完成｜未联系上",
    ]
    # each callback follows its own ticket's history; an unsampled ticket has none
    assert lines.index(callbacks[0]) < next(i for i, line in enumerate(lines) if lamp.reference in line)
    assert (
        lines[-1] == "【满意度调查】2026年度满意度调查（11月10日 10:00 发出）：供水 4分，清洁卫生 2分"
        "｜意见：垃圾清运太慢"
    )
    assert "13812345678" not in text
