"""The storage side of exactly-once on SQLite and PostgreSQL: processed update ids, the per-chat lock,
and outbox rows handed back without counting an attempt."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

import pytest

from dialogs.messages import ChannelName, Outgoing, Reply
from storage.repos_updates import chat_lock_key
from storage.uow import SqlUnitOfWorkFactory

NOW = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)


def test_an_update_id_is_claimed_once_and_pruned_later(uow: SqlUnitOfWorkFactory) -> None:
    with uow() as work:
        assert work.processed_updates.claim(channel="telegram", update_id=41, now=NOW)
        assert not work.processed_updates.claim(channel="telegram", update_id=41, now=NOW)
        assert work.processed_updates.claim(channel="console", update_id=41, now=NOW)  # per channel
        # A batch claims its ids in one statement and learns which were new.
        assert work.processed_updates.claim_many(channel="telegram", update_ids=[41, 43, 44], now=NOW) == {
            43,
            44,
        }
        assert work.processed_updates.claim_many(channel="telegram", update_ids=[44], now=NOW) == set()
        assert work.processed_updates.claim_many(channel="telegram", update_ids=[], now=NOW) == set()
        work.commit()
    with uow() as work:  # a claim that is rolled back leaves nothing behind
        assert work.processed_updates.claim(channel="telegram", update_id=42, now=NOW)
    with uow() as work:
        assert work.processed_updates.claim(channel="telegram", update_id=42, now=NOW + timedelta(days=8))
        assert work.processed_updates.prune(before=NOW + timedelta(days=1)) == 4
        work.commit()
    with uow() as work:
        assert work.processed_updates.claim(channel="telegram", update_id=41, now=NOW)  # forgotten
        assert not work.processed_updates.claim(channel="telegram", update_id=42, now=NOW)


def test_a_released_row_keeps_its_attempt_count(uow: SqlUnitOfWorkFactory) -> None:
    message = Outgoing(channel=ChannelName.TELEGRAM, chat_id=5, reply=Reply(text="hi"))
    with uow() as work:
        work.outbox.enqueue(message=message, now=NOW)
        work.commit()
    with uow() as work:
        (row,) = work.outbox.claim(channel="telegram", now=NOW, limit=10, lease_seconds=60)
        assert row.attempts == 1
        work.outbox.release(message_id=row.id, retry_at=NOW + timedelta(seconds=30), reason="rate limited")
        work.commit()
    with uow() as work:
        assert not work.outbox.claim(channel="telegram", now=NOW + timedelta(seconds=29), limit=10)
        (again,) = work.outbox.claim(channel="telegram", now=NOW + timedelta(seconds=30), limit=10)
        assert again.attempts == 1  # the release did not count as an attempt
        work.commit()


def test_chat_lock_keys_are_stable_and_distinct() -> None:
    assert chat_lock_key("telegram", 1) == chat_lock_key("telegram", 1)
    assert len({chat_lock_key("telegram", chat) for chat in range(1000)}) == 1000
    assert -(2**63) <= chat_lock_key("telegram", -100123) < 2**63


@pytest.mark.postgres
def test_the_chat_lock_makes_a_second_transaction_wait(postgres_url: str) -> None:
    from storage.database import make_engine, upgrade

    engine = make_engine(postgres_url)
    upgrade(engine)
    factory = SqlUnitOfWorkFactory(engine)
    order: list[str] = []
    first_has_lock = threading.Event()

    def first() -> None:
        with factory() as work:
            work.chat_locks.lock_many(chats=[("telegram", 9), ("telegram", 8)])  # a batch's chats
            first_has_lock.set()
            time.sleep(0.5)
            order.append("first done")
            work.commit()

    def second() -> None:
        first_has_lock.wait(5)
        with factory() as work:
            work.chat_locks.lock(channel="telegram", chat_id=9)  # waits for the first commit
            order.append("second has lock")
            with factory() as other:  # another chat is not held up
                other.chat_locks.lock_many(chats=[("telegram", 10), ("telegram", 11)])
            work.commit()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    engine.dispose()
    assert order == ["first done", "second has lock"]
