"""Races and half answers found in review: two staff recording one phone result, a follow-up rated but not
told "solved" being reminded and phoned, and a phone result overwriting the resident's own rating."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine

from benchmarks.followups_bench import seed_due_followups
from dialogs.domain import TicketType
from dialogs.followup.job import FollowUpJob, phone_task
from dialogs.followup.records import FollowUp, FollowUpStatus, PhoneReason
from dialogs.i18n import Catalog
from dialogs.messages import ChannelName
from dialogs.site import load_site
from storage.repos_followups import SqlFollowUpRepository
from storage.uow import SqlUnitOfWorkFactory
from tests.followups.conftest import AGENT, GROUP, SUPERVISOR, Center
from tests.followups.test_conversations import answer
from tests.harness import local

NOW = datetime(2026, 11, 28, 2, 0, tzinfo=UTC)


def complaints(center: Center) -> int:
    """Complaints opened so far."""
    start, end = NOW - timedelta(days=30), NOW + timedelta(days=30)
    with center.app.uow_factory() as uow:
        tickets = uow.tickets.list_created_between(start=start, end=end)
    return sum(1 for t in tickets if t.type is TicketType.COMPLAINT)


def to_phone(center: Center) -> str:
    """A complaint resolved, asked, never answered, reminded, and handed to staff by phone."""
    reference = center.complaint_resolved()
    center.clock.set(local(center.app, "2026-11-28T10:00"))
    center.tick()
    for _ in range(2):
        center.clock.advance(timedelta(hours=48))
        center.tick()
    assert center.followup(reference).status is FollowUpStatus.PHONE
    return reference


def test_two_staff_recording_a_phone_result_at_once_escalate_once(
    center: Center, monkeypatch: pytest.MonkeyPatch
) -> None:
    reference = to_phone(center)
    stale = center.followup(reference)  # what both presses read before either stored its result
    before = complaints(center)
    center.desk.press(AGENT, "不满意")
    assert complaints(center) == before + 1
    original = SqlFollowUpRepository.get

    def as_read_before(self: SqlFollowUpRepository, *, followup_id: int) -> FollowUp | None:
        return stale if followup_id == stale.id else original(self, followup_id=followup_id)

    monkeypatch.setattr(SqlFollowUpRepository, "get", as_read_before)
    center.desk.press(SUPERVISOR, "不满意", chat_id=SUPERVISOR)
    monkeypatch.undo()
    assert complaints(center) == before + 1


def test_a_phone_result_is_recorded_once_in_the_database(
    engine: Engine, factory: SqlUnitOfWorkFactory
) -> None:
    seed_due_followups(engine, 1, due_at=NOW)
    with factory() as uow:
        uow.followups.claim_due(now=NOW, limit=1)
        uow.followups.claim_reminders(asked_before=NOW, settled_before=NOW, now=NOW, limit=1)
        uow.followups.claim_phone(reminded_before=NOW, settled_before=NOW, now=NOW, limit=1)
        first = uow.followups.record_phone_result(
            followup_id=1, result="unsatisfied", rating=2, solved=False, now=NOW
        )
        second = uow.followups.record_phone_result(
            followup_id=1, result="satisfied", rating=4, solved=True, now=NOW
        )
        uow.commit()
    assert (first, second) == (True, False)
    with factory() as uow:
        stored = uow.followups.get(followup_id=1)
    assert stored is not None
    assert (stored.status, stored.phone_result, stored.rating, stored.solved) == (
        FollowUpStatus.DONE,
        "unsatisfied",
        2,
        False,
    )


def test_a_rated_followup_is_neither_reminded_nor_phoned(center: Center) -> None:
    reference = center.complaint_resolved()
    center.clock.set(local(center.app, "2026-11-28T10:00"))
    center.tick()
    followup_id = center.followup(reference).id
    assert followup_id is not None
    answer(center, followup_id, "r", "4")  # rated, never said whether it was solved
    for _ in range(3):
        center.clock.advance(timedelta(hours=48))
        center.tick()
        assert center.chat.last == []
    followup = center.followup(reference)
    assert followup.status is FollowUpStatus.ASKED and followup.rating == 4
    assert not any("【电话回访】" in m.reply.text for m in center.desk.messages(GROUP))


def test_a_repeated_rating_press_asks_the_missing_question(center: Center) -> None:
    reference = center.complaint_resolved()
    center.clock.set(local(center.app, "2026-11-28T10:00"))
    center.tick()
    followup_id = center.followup(reference).id
    assert followup_id is not None
    answer(center, followup_id, "r", "4")
    answer(center, followup_id, "r", "4")
    center.chat.expect("无需重复提交")
    center.chat.expect("问题彻底解决了吗")


@pytest.mark.parametrize(("label", "result"), [("不满意", "unsatisfied"), ("未接通", "unreached")])
def test_a_phone_result_keeps_the_residents_rating_and_does_not_escalate_twice(
    center: Center, label: str, result: str
) -> None:
    reference = center.complaint_resolved()
    center.clock.set(local(center.app, "2026-11-28T10:00"))
    center.tick()
    followup_id = center.followup(reference).id
    assert followup_id is not None
    answer(center, followup_id, "r", "1")  # rated low (escalated at once), never said whether solved
    escalated = center.followup(reference)
    assert escalated.rating == 1 and escalated.complaint_reference is not None
    with center.app.uow_factory() as uow:  # handed to staff anyway (a hand-over claimed as the rating came)
        uow.followups.save(followup=replace(escalated, status=FollowUpStatus.PHONE, phone_reason="no_answer"))
        uow.commit()
    with center.app.uow_factory() as uow:
        for message in phone_task(uow, center.job._cards, center.followup(reference), GROUP):
            uow.outbox.enqueue(message=message, now=center.clock.now())
        uow.commit()
    asyncio.run(center.chat.sender.flush())
    before = complaints(center)
    center.desk.press(AGENT, label)
    followup = center.followup(reference)
    assert (followup.status, followup.phone_result, followup.rating) == (FollowUpStatus.DONE, result, 1)
    assert followup.complaint_reference == escalated.complaint_reference
    assert complaints(center) == before


def test_a_short_window_is_reminded_halfway_and_handed_over_when_it_closes(
    engine: Engine, factory: SqlUnitOfWorkFactory
) -> None:
    """A complaint asked 60 h before its 3-day window closes: reminded after 30 h, phoned at 60 h."""
    seed_due_followups(engine, 2, due_at=NOW)
    with engine.begin() as connection:  # row 1: a short window; row 2: a long one keeps the 48 h rhythm
        connection.execute(
            text("UPDATE followups SET window_end = :end WHERE id = 1"), {"end": NOW + timedelta(hours=60)}
        )
        connection.execute(
            text("UPDATE followups SET window_end = :end WHERE id = 2"), {"end": NOW + timedelta(days=30)}
        )
    job = FollowUpJob(site=load_site(), catalog=Catalog.load(), staff_chat_id=None)
    with factory() as uow:
        uow.followups.claim_due(now=NOW, limit=5)
        uow.commit()

    def status_at(hours: float) -> dict[int, FollowUpStatus]:
        with factory() as uow:
            job._remind(uow, NOW + timedelta(hours=hours))
            job._hand_over(uow, NOW + timedelta(hours=hours))
            uow.commit()
        with factory() as uow:
            return {i: s.status for i in (1, 2) if (s := uow.followups.get(followup_id=i)) is not None}

    asked, reminded, phone = FollowUpStatus.ASKED, FollowUpStatus.REMINDED, FollowUpStatus.PHONE
    assert status_at(29.9) == {1: asked, 2: asked}
    assert status_at(30) == {1: reminded, 2: asked}
    assert status_at(48) == {1: reminded, 2: reminded}
    assert status_at(59.9) == {1: reminded, 2: reminded}
    assert status_at(60) == {1: phone, 2: reminded}
    assert status_at(96) == {1: phone, 2: phone}


def test_a_reminder_has_some_hours_before_the_hand_over(
    engine: Engine, factory: SqlUnitOfWorkFactory
) -> None:
    """Asked late (after the window closed): reminded after the minimum wait, phoned that long after."""
    seed_due_followups(engine, 1, due_at=NOW)
    with engine.begin() as connection:
        connection.execute(
            text("UPDATE followups SET window_end = :end WHERE id = 1"), {"end": NOW - timedelta(hours=1)}
        )
    job = FollowUpJob(site=load_site(), catalog=Catalog.load(), staff_chat_id=None)
    with factory() as uow:
        uow.followups.claim_due(now=NOW, limit=5)
        assert job._remind(uow, NOW + timedelta(hours=11)) == []
        assert len(job._remind(uow, NOW + timedelta(hours=12))) == 1
        assert job._hand_over(uow, NOW + timedelta(hours=23)) == []
        job._hand_over(uow, NOW + timedelta(hours=24))
        stored = uow.followups.get(followup_id=1)
        assert stored is not None and stored.status is FollowUpStatus.PHONE


def answered_meanwhile(center: Center, reference: str) -> FollowUp:
    """The follow-up as read before the resident's full answer was stored; the answer is stored now."""
    stale = center.followup(reference)
    assert stale.id is not None
    answer(center, stale.id, "r", "5")
    answer(center, stale.id, "s", "y")
    assert center.followup(reference).status is FollowUpStatus.ANSWERED
    return stale


def test_a_blocked_chat_does_not_turn_a_concurrent_answer_into_a_phone_task(
    center: Center, monkeypatch: pytest.MonkeyPatch
) -> None:
    reference = center.complaint_resolved()
    center.clock.set(local(center.app, "2026-11-28T10:00"))
    center.tick()
    stale = answered_meanwhile(center, reference)
    reads = iter([stale])
    monkeypatch.setattr(
        SqlFollowUpRepository, "awaiting_answer", lambda self, channel, chat_id: next(reads, None)
    )
    center.app.blocked_chats().blocked(ChannelName.CONSOLE, center.chat.user_id)
    assert center.followup(reference).status is FollowUpStatus.ANSWERED


def test_an_unknown_delivery_review_does_not_overwrite_a_concurrent_answer(
    center: Center, monkeypatch: pytest.MonkeyPatch
) -> None:
    reference = center.complaint_resolved()
    center.clock.set(local(center.app, "2026-11-28T10:00"))
    center.tick()
    stale = answered_meanwhile(center, reference)
    original = SqlFollowUpRepository.get

    def as_read_before(self: SqlFollowUpRepository, *, followup_id: int) -> FollowUp | None:
        return stale if followup_id == stale.id else original(self, followup_id=followup_id)

    monkeypatch.setattr(SqlFollowUpRepository, "get", as_read_before)
    with center.app.uow_factory() as uow:
        messages = center.job._to_phone(uow, stale, center.clock.now(), PhoneReason.UNKNOWN_DELIVERY)
        uow.commit()
    monkeypatch.undo()
    assert messages == []
    assert center.followup(reference).status is FollowUpStatus.ANSWERED
