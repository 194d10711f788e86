"""Sending forms: the rate per minute, quiet hours, one reminder, households nobody can be reached in."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.app import App
from dialogs.clock import FakeClock
from dialogs.messages import ChannelName
from dialogs.survey.campaigns import campaign_results, close_campaign
from dialogs.survey.model import DeliveryStatus
from tests.surveys.support import add_household, running_campaign, tick


def _estate(app: App, homes: int, *, first_user: int = 5000) -> list[int]:
    """`homes` households with one bot user each (user ids from `first_user`)."""
    with app.uow_factory() as uow:
        ids = [add_household(uow, f"1-1-{n:03d}", building="1", users=[first_user + n]) for n in range(homes)]
        uow.commit()
    return ids


def _survey_chats(app: App) -> list[int]:
    """Chat ids of the survey messages waiting in the outbox, in the order they were queued; they count as
    delivered from now on."""
    with app.uow_factory() as uow:
        pending = uow.outbox.claim(channel=ChannelName.CONSOLE.value, now=app.clock.now(), limit=1000)
        for message in pending:
            uow.outbox.mark_sent(message_id=message.id, now=app.clock.now())
        uow.commit()
    return [p.message.chat_id for p in pending if (p.message.key or "").startswith("survey:")]


def test_forms_go_out_at_most_rate_per_minute(app: App, clock: FakeClock) -> None:
    _estate(app, 5)
    running_campaign(app.uow_factory, app.site, clock.now(), rate_per_minute=2)
    assert tick(app) == 2
    clock.advance(timedelta(seconds=20))
    assert tick(app) == 0  # same minute: its batch is spent
    clock.advance(timedelta(seconds=40))
    assert tick(app) == 2
    clock.advance(timedelta(minutes=1))
    assert tick(app) == 1
    clock.advance(timedelta(minutes=1))
    assert tick(app) == 0
    assert sorted(_survey_chats(app)) == [5000 + n for n in range(5)]  # each household once


def test_nothing_is_sent_in_quiet_hours(app: App, clock: FakeClock) -> None:
    _estate(app, 3)
    evening = datetime(2026, 11, 27, 21, 30, tzinfo=app.site.zone)
    clock.set(evening)
    running_campaign(app.uow_factory, app.site, clock.now())
    assert tick(app) == 0
    clock.set(datetime(2026, 11, 28, 8, 29, tzinfo=app.site.zone))
    assert tick(app) == 0
    clock.set(datetime(2026, 11, 28, 8, 30, tzinfo=app.site.zone))  # quiet hours end at 08:30
    assert tick(app) == 3


def test_one_reminder_only_to_households_that_have_not_returned_the_form(app: App, clock: FakeClock) -> None:
    households = _estate(app, 3)
    campaign, _ = running_campaign(app.uow_factory, app.site, clock.now(), reminder_days=3)
    assert campaign.id is not None
    assert tick(app) == 3
    with app.uow_factory() as uow:  # the first household returns its form
        delivery = uow.surveys.find_delivery(campaign_id=campaign.id, household_id=households[0])
        assert delivery is not None and delivery.id is not None
        uow.surveys.mark_completed(delivery_id=delivery.id, now=clock.now())
        uow.commit()
    _survey_chats(app)  # the first forms are delivered
    clock.advance(timedelta(days=3) - timedelta(minutes=1))
    assert tick(app) == 0  # not yet
    clock.advance(timedelta(minutes=2))
    assert tick(app) == 2
    assert sorted(_survey_chats(app)) == [5001, 5002]
    for _ in range(3):
        clock.advance(timedelta(days=2))
        tick(app)
    assert _survey_chats(app) == []  # one reminder, never a second
    with app.uow_factory() as uow:
        _, results = campaign_results(uow, campaign.id)
    assert (results.sent, results.reminded, results.returned) == (3, 2, 1)


def test_households_nobody_can_be_reached_in_count_as_not_distributed(app: App, clock: FakeClock) -> None:
    with app.uow_factory() as uow:
        add_household(uow, "2-1-101", building="2", users=[6001])
        add_household(uow, "2-1-102", building="2")  # nobody uses the bot
        add_household(uow, "2-1-103", building="2", users=[6003], channel=ChannelName.TELEGRAM)
        uow.commit()
    campaign, targeted = running_campaign(app.uow_factory, app.site, clock.now(), building="2")
    assert campaign.id is not None and targeted == 3
    assert tick(app) == 1  # only the console user, on the console channel's ticker
    with app.uow_factory() as uow:
        statuses = [d.status for d in uow.surveys.deliveries(campaign_id=campaign.id)]
        _, results = campaign_results(uow, campaign.id)
    assert statuses == [DeliveryStatus.SENT, DeliveryStatus.UNREACHABLE, DeliveryStatus.UNREACHABLE]
    assert results.distribution_rate == 1 / 3


def test_a_closed_campaign_sends_nothing_more(app: App, clock: FakeClock) -> None:
    _estate(app, 4)
    campaign, _ = running_campaign(app.uow_factory, app.site, clock.now(), rate_per_minute=1)
    assert tick(app) == 1
    with app.uow_factory() as uow:
        close_campaign(uow, campaign.id or 0, clock.now())
        uow.commit()
    clock.advance(timedelta(minutes=5))
    assert tick(app) == 0


def _homes_with_users(app: App, users_per_home: list[int], *, first_user: int = 7000) -> list[list[int]]:
    """One household per entry with that many bot users; returns each household's user ids."""
    homes: list[list[int]] = []
    next_user = first_user
    with app.uow_factory() as uow:
        for n, count in enumerate(users_per_home):
            users = list(range(next_user, next_user + count))
            next_user += count
            add_household(uow, f"3-1-{n:03d}", building="3", users=users)
            homes.append(users)
        uow.commit()
    return homes


def test_the_rate_counts_messages_not_households(app: App, clock: FakeClock) -> None:
    homes = _homes_with_users(app, [3, 3, 3, 3])
    campaign, _ = running_campaign(app.uow_factory, app.site, clock.now(), rate_per_minute=5, reminder_days=1)
    sent = []
    for _ in range(5):
        sent.append(tick(app))
        clock.advance(timedelta(minutes=1))
    assert sent == [3, 3, 3, 3, 0]  # a second household's 3 messages would make 6 > 5 in a minute
    assert sorted(_survey_chats(app)) == sorted(user for home in homes for user in home)
    clock.advance(timedelta(days=1))
    reminded = []
    for _ in range(5):
        reminded.append(tick(app))
        clock.advance(timedelta(minutes=1))
    assert reminded == [3, 3, 3, 3, 0]  # reminders keep to the same rate
    assert sorted(_survey_chats(app)) == sorted(user for home in homes for user in home)
    with app.uow_factory() as uow:
        _, results = campaign_results(uow, campaign.id or 0)
    assert (results.sent, results.reminded) == (4, 4)


def test_a_household_with_more_users_than_the_rate_goes_alone_in_its_minute(
    app: App, clock: FakeClock
) -> None:
    homes = _homes_with_users(app, [1, 7, 1])
    running_campaign(app.uow_factory, app.site, clock.now(), rate_per_minute=5)
    sent = []
    for _ in range(4):
        sent.append(tick(app))
        clock.advance(timedelta(minutes=1))
    assert sent == [1, 7, 1, 0]  # never starved, never sharing the minute it overshoots
    assert sorted(_survey_chats(app)) == sorted(user for home in homes for user in home)
