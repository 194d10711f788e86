"""Follow-up storage on SQLite and PostgreSQL: atomic claims, answers stored once, at-most-once outbox."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event, text
from sqlalchemy.engine import Engine

from benchmarks.followups_bench import seed_due_followups
from dialogs.followup.records import FollowUpStatus
from dialogs.messages import ChannelName, Outgoing, Reply
from storage.database import make_engine, upgrade
from storage.uow import SqlUnitOfWorkFactory

NOW = datetime(2026, 11, 28, 2, 0, tzinfo=UTC)


def test_a_claim_takes_due_rows_once_and_flags_late_ones(
    engine: Engine, factory: SqlUnitOfWorkFactory
) -> None:
    seed_due_followups(engine, 6, due_at=NOW - timedelta(hours=1))
    with engine.begin() as connection:  # one was asked too late (its window ended), one is not due yet
        connection.execute(
            text("UPDATE followups SET window_end = :end WHERE id = 1"), {"end": NOW - timedelta(minutes=1)}
        )
        connection.execute(
            text("UPDATE followups SET due_at = :due WHERE id = 6"), {"due": NOW + timedelta(minutes=1)}
        )
    with factory() as uow:
        first = uow.followups.claim_due(now=NOW, limit=3)
        second = uow.followups.claim_due(now=NOW, limit=10)
        uow.commit()
    assert [f.id for f in first] == [1, 2, 3] and [f.id for f in second] == [4, 5]
    assert all(f.status is FollowUpStatus.ASKED and f.sent_at == NOW for f in [*first, *second])
    assert [f.late for f in first] == [True, False, False]
    with factory() as uow:
        assert uow.followups.claim_due(now=NOW, limit=10) == []


def test_a_reopened_ticket_is_not_called_back_until_resolved_again(
    engine: Engine, factory: SqlUnitOfWorkFactory
) -> None:
    seed_due_followups(engine, 2, due_at=NOW - timedelta(hours=1))
    with engine.begin() as connection:
        connection.execute(text("UPDATE tickets SET status = 'open' WHERE id = 1"))
    with factory() as uow:
        assert [f.id for f in uow.followups.claim_due(now=NOW, limit=10)] == [2]
        uow.commit()


def test_reminders_and_phone_tasks_are_claimed_after_48_hours_each(
    engine: Engine, factory: SqlUnitOfWorkFactory
) -> None:
    seed_due_followups(engine, 1, due_at=NOW)
    with factory() as uow:
        uow.followups.claim_due(now=NOW, limit=1)
        wait = timedelta(hours=48)
        assert (
            uow.followups.claim_reminders(
                asked_before=NOW + wait - timedelta(seconds=1) - wait, settled_before=NOW, now=NOW, limit=5
            )
            == []
        )
        later = NOW + wait
        reminded = uow.followups.claim_reminders(
            asked_before=later - wait, settled_before=later, now=later, limit=5
        )
        assert [f.status for f in reminded] == [FollowUpStatus.REMINDED]
        assert (
            uow.followups.claim_reminders(asked_before=later - wait, settled_before=later, now=later, limit=5)
            == []
        )
        last = later + wait
        phoned = uow.followups.claim_phone(
            reminded_before=last - wait, settled_before=last, now=last, limit=5
        )
        assert [(f.status, f.phone_reason, f.phone_at) for f in phoned] == [
            (FollowUpStatus.PHONE, "no_answer", last)
        ]
        uow.commit()


def test_an_answer_is_stored_once(engine: Engine, factory: SqlUnitOfWorkFactory) -> None:
    seed_due_followups(engine, 1, due_at=NOW)
    with factory() as uow:
        assert uow.followups.record_rating(followup_id=1, rating=4, now=NOW)
        assert not uow.followups.record_rating(followup_id=1, rating=1, now=NOW)
        assert uow.followups.record_solved(followup_id=1, solved=True, now=NOW)
        assert not uow.followups.record_solved(followup_id=1, solved=False, now=NOW)
        uow.commit()
    with factory() as uow:
        stored = uow.followups.get(followup_id=1)
        assert stored is not None and (stored.rating, stored.solved) == (4, True)
        assert [f.id for f in uow.followups.list_resolved(start=NOW - timedelta(days=2), end=NOW)] == [1]


def test_unreachable_residents_and_languages(engine: Engine, factory: SqlUnitOfWorkFactory) -> None:
    seed_due_followups(engine, 4, due_at=NOW)
    with factory() as uow:
        uow.followups.set_reachable(resident_id=2, unreachable_since=NOW)
        uow.commit()
    with factory() as uow:
        assert uow.followups.unreachable(resident_ids=[1, 2, 3]) == {2}
        assert uow.followups.languages(resident_ids=[1, 2]) == {1: "en", 2: "zh"}
        uow.followups.set_reachable(resident_id=2, unreachable_since=None)
        uow.commit()
    with factory() as uow:
        assert uow.followups.unreachable(resident_ids=[1, 2, 3]) == set()


def test_an_at_most_once_row_whose_lease_expired_is_reviewed_not_resent(
    factory: SqlUnitOfWorkFactory,
) -> None:
    once = Outgoing(ChannelName.TELEGRAM, 42, Reply("回访"), audience="resident", once="followup:7:ask")
    plain = Outgoing(ChannelName.TELEGRAM, 43, Reply("普通消息"))
    with factory() as uow:
        uow.outbox.enqueue(message=once, now=NOW)
        uow.outbox.enqueue(message=plain, now=NOW)
        claimed = uow.outbox.claim(channel="telegram", now=NOW, limit=10, lease_seconds=60)
        uow.commit()
    assert [m.message.once for m in claimed] == ["followup:7:ask", None]
    later = NOW + timedelta(seconds=61)
    with factory() as uow:  # the sender died: the plain row is re-sent, the callback question is not
        again = uow.outbox.claim(channel="telegram", now=later, limit=10, lease_seconds=60)
        assert [m.message.chat_id for m in again] == [43]
        assert uow.outbox.take_unknown(now=later, prefix="survey:") == []
        assert uow.outbox.take_unknown(now=later, prefix="followup:") == ["followup:7:ask"]
        assert uow.outbox.take_unknown(now=later, prefix="followup:") == []
        uow.commit()


@pytest.mark.postgres
def test_two_postgres_workers_never_claim_the_same_row(postgres_url: str) -> None:
    engine = make_engine(postgres_url)
    try:
        upgrade(engine)
        seed_due_followups(engine, 10, due_at=NOW)
        factory = SqlUnitOfWorkFactory(engine)
        with factory() as first, factory() as second:
            mine = first.followups.claim_due(now=NOW, limit=6)  # locked, not committed yet
            theirs = second.followups.claim_due(now=NOW, limit=10)  # skips the locked rows, does not wait
            first.commit()
            second.commit()
        assert len(mine) == 6 and len(theirs) == 4
        assert not {f.id for f in mine} & {f.id for f in theirs}
    finally:
        engine.dispose()


def test_a_late_outcome_does_not_overwrite_a_row_under_review(
    engine: Engine, factory: SqlUnitOfWorkFactory
) -> None:
    once = Outgoing(ChannelName.TELEGRAM, 42, Reply("回访"), audience="resident", once="followup:7:ask")
    with factory() as uow:
        sent_late = uow.outbox.enqueue(message=once, now=NOW)
        failed_late = uow.outbox.enqueue(message=replace(once, chat_id=43, once="followup:8:ask"), now=NOW)
        uow.outbox.claim(channel="telegram", now=NOW, limit=10, lease_seconds=60)
        uow.commit()
    later = NOW + timedelta(seconds=61)
    with factory() as uow:  # both leases ran out: reported for review, then the slow sender reports back
        assert len(uow.outbox.take_unknown(now=later, prefix="followup:")) == 2
        uow.outbox.mark_sent(message_id=sent_late, now=later)
        uow.outbox.mark_failed(message_id=failed_late, now=later, error="timeout", retry_at=later)
        uow.commit()
    with engine.connect() as connection:
        statuses = connection.execute(text("SELECT status FROM outbox ORDER BY id")).scalars().all()
    assert statuses == ["unknown", "unknown"]
    with factory() as uow:
        assert uow.outbox.claim(channel="telegram", now=later + timedelta(hours=1), limit=10) == []
    with factory() as uow, pytest.raises(LookupError):
        uow.outbox.mark_sent(message_id=failed_late + 1000, now=later)


def test_chats_found_without_an_open_followup_are_not_asked_again_until_a_change(
    engine: Engine, factory: SqlUnitOfWorkFactory
) -> None:
    seed_due_followups(engine, 2, due_at=NOW)
    with factory() as uow:
        first, second = uow.followups.claim_due(now=NOW, limit=10)
        uow.commit()
    assert first.id is not None and second.id is not None
    statements: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    quiet = 999
    with factory() as uow:
        uow.followups.prefetch_awaiting(channel="telegram", chat_ids=[first.chat_id, second.chat_id, quiet])
        read = len(statements)
        assert uow.followups.awaiting_answer(channel="telegram", chat_id=quiet) is None
        assert len(statements) == read  # answered from what the batch read
        # A chat with an open follow-up is read afresh: the scheduler may have changed it meanwhile.
        with engine.begin() as other:
            other.execute(text("UPDATE followups SET status = 'phone' WHERE id = :id"), {"id": second.id})
        assert uow.followups.awaiting_answer(channel="telegram", chat_id=second.chat_id) is None
        found = uow.followups.awaiting_answer(channel="telegram", chat_id=first.chat_id)
        assert found is not None and found.id == first.id
        # A change in this unit of work, or its commit, makes the repository ask again.
        assert uow.followups.to_phone(followup_id=first.id, reason="no_answer", now=NOW) is not None
        before = len(statements)
        assert uow.followups.awaiting_answer(channel="telegram", chat_id=quiet) is None
        assert len(statements) == before + 1
        uow.followups.prefetch_awaiting(channel="telegram", chat_ids=[quiet])
        uow.commit()
        before = len(statements)
        assert uow.followups.awaiting_answer(channel="telegram", chat_id=quiet) is None
        assert len(statements) == before + 1
