"""Survey storage on SQLite and PostgreSQL: atomic claims, answers stored once, no form sent twice."""

from __future__ import annotations

import sqlite3
import threading
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from sqlalchemy import event, insert

from dialogs.i18n import Catalog
from dialogs.messages import ChannelName
from dialogs.site import load_site
from dialogs.survey.campaigns import campaign_results, create_campaign, start_campaign
from dialogs.survey.model import Answer
from dialogs.survey.sender import SurveySender
from storage.database import make_engine, upgrade
from storage.tables import HouseholdRow, table_of
from storage.uow import SqlUnitOfWorkFactory
from tests.surveys.support import add_household

T0 = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai: outside quiet hours


def _in_threads(workers: int, job: Callable[[int], None]) -> None:
    barrier = threading.Barrier(workers)
    errors: list[BaseException] = []

    def run(worker: int) -> None:
        try:
            barrier.wait(timeout=10)
            job(worker)
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "worker thread hung"
    if errors:
        raise errors[0]


def _campaign(uow: SqlUnitOfWorkFactory, homes: int, rate: int = 20) -> int:
    site = load_site()
    with uow() as work:
        for n in range(homes):
            add_household(work, f"9-{n:03d}", building="9", users=[70000 + n], now=T0)
        campaign, targeted = create_campaign(work, site, name="race", now=T0, rate_per_minute=rate)
        assert campaign.id is not None and targeted == homes
        start_campaign(work, campaign.id, T0)
        work.commit()
    return campaign.id


def test_concurrent_claimers_never_share_a_form(uow: SqlUnitOfWorkFactory) -> None:
    campaign_id = _campaign(uow, 60)
    claimed: list[int] = []
    lock = threading.Lock()

    def drain(_worker: int) -> None:
        while True:
            with uow() as work:
                batch = [d.id or 0 for d in work.surveys.claim_due(campaign_id=campaign_id, now=T0, limit=4)]
                work.commit()
            if not batch:
                return
            with lock:
                claimed.extend(batch)

    _in_threads(3, drain)
    assert len(claimed) == len(set(claimed)) == 60
    with uow() as work:
        assert work.surveys.claim_due(campaign_id=campaign_id, now=T0, limit=10) == []
        reminders = work.surveys.claim_reminders(
            campaign_id=campaign_id, sent_before=T0, now=T0 + timedelta(days=3), limit=100
        )
        assert len(reminders) == 60
        again = work.surveys.claim_reminders(
            campaign_id=campaign_id, sent_before=T0, now=T0 + timedelta(days=4), limit=100
        )
        assert again == []


def test_two_senders_send_each_form_once_within_the_rate(uow: SqlUnitOfWorkFactory) -> None:
    _campaign(uow, 50, rate=7)
    sender = SurveySender(site=load_site(), catalog=Catalog.load(), channel=ChannelName.CONSOLE)
    per_minute: Counter[datetime] = Counter()
    chats: list[int] = []
    lock = threading.Lock()

    def scheduler(worker: int) -> None:
        for second in range(0, 10 * 60, 15):  # ten minutes of ticks every 15 s, the workers out of step
            now = T0 + timedelta(seconds=second + worker * 5)
            with uow() as work:
                messages = sender.run(work, now)
                for message in messages:
                    work.outbox.enqueue(message=message, now=now)
                work.commit()
            with lock:
                per_minute[now.replace(second=0)] += len(messages)
                chats.extend(message.chat_id for message in messages)

    _in_threads(2, scheduler)
    assert sorted(chats) == [70000 + n for n in range(50)]  # every household once, none twice
    assert max(per_minute.values()) == 7
    assert sum(per_minute.values()) == 50


def test_an_answer_is_stored_once_even_when_pressed_at_once(uow: SqlUnitOfWorkFactory) -> None:
    campaign_id = _campaign(uow, 1)
    with uow() as work:
        delivery = work.surveys.claim_due(campaign_id=campaign_id, now=T0, limit=1)[0]
        work.commit()
    assert delivery.id is not None
    results: list[bool] = []

    def press(worker: int) -> None:
        with uow() as work:
            answer = Answer(delivery.id or 0, "heating", 5 - worker, None, T0)
            stored = work.surveys.record_answer(answer=answer)
            work.commit()
        results.append(stored)

    _in_threads(4, press)
    assert sorted(results) == [False, False, False, True]
    with uow() as work:
        assert list(work.surveys.form_answers(delivery_id=delivery.id)) == ["heating"]
        assert work.surveys.mark_completed(delivery_id=delivery.id, now=T0)
        assert not work.surveys.mark_completed(delivery_id=delivery.id, now=T0 + timedelta(hours=1))
        assert work.surveys.mark_finished(delivery_id=delivery.id, comment="好", now=T0)
        assert not work.surveys.mark_finished(delivery_id=delivery.id, comment="again", now=T0)
        work.commit()
    with uow() as work:
        _, results_now = campaign_results(work, campaign_id)
    assert (results_now.answers, results_now.returned, results_now.comments) == (1, 1, 1)


def test_a_campaign_over_twelve_thousand_households_is_created_on_sqlite(sqlite_url: str) -> None:
    """One INSERT per campaign would bind 3 values per household: past ~10,900 households SQLite's limit
    of 32,766 bound variables is exceeded, so the forms must be inserted in chunks."""
    homes = 12_000
    engine = make_engine(sqlite_url)

    @event.listens_for(engine, "connect")
    def stock_limit(connection: sqlite3.Connection, _record: object) -> None:
        # SQLite's own default; some distributions build it with a higher one (Debian: 250,000).
        connection.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, 32_766)

    upgrade(engine)
    try:
        with engine.begin() as connection:
            connection.execute(
                insert(table_of(HouseholdRow)),
                [{"room": f"8-{n:05d}", "building": "8", "unit": ""} for n in range(homes)],
            )
        factory = SqlUnitOfWorkFactory(engine)
        with factory() as work:
            campaign, targeted = create_campaign(work, load_site(), name="big", now=T0)
            work.commit()
        assert campaign.id is not None and targeted == homes
        with factory() as work:
            forms = work.surveys.deliveries(campaign_id=campaign.id)
        assert len({form.household_id for form in forms}) == homes
    finally:
        engine.dispose()
