"""The callback policy (回访): which tickets, how many (reproducibly), and when inside the window."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest

from dialogs.domain import Ticket, TicketStatus, TicketType
from dialogs.followup.policy import due_time, in_quiet_hours, kind_of, plan, sampled, window
from dialogs.followup.records import FollowUpKind, FollowUpStatus
from dialogs.site import CallbackRule, QuietHours, SiteConfig, load_site

SITE = load_site()
ZONE = SITE.zone


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=ZONE)


def ticket(kind: TicketType, reference: str = "C2611270001", **details: str) -> Ticket:
    now = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)
    return Ticket(
        id=7,
        reference=reference,
        type=kind,
        status=TicketStatus.RESOLVED,
        resident_id=1,
        description="…",
        created_at=now,
        updated_at=now,
        details=dict(details),
        chat_id=1001,
    )


def test_the_manuals_table_is_the_default_policy() -> None:
    rules = SITE.callbacks
    assert (rules["complaint"].rate, rules["complaint"].window_end_days) == (1.0, 3)
    assert (rules["repair"].rate, rules["repair"].window_end_days) == (0.3, 3)
    assert (rules["maintenance_works"].window_start_days, rules["maintenance_works"].window_end_days) == (
        30,
        60,
    )
    assert (rules["emergency"].rate, rules["emergency"].window_end_days) == (1.0, 7)
    assert rules["activity"].window_end_days == 30


def test_which_tickets_are_called_back() -> None:
    assert kind_of(ticket(TicketType.COMPLAINT)) is FollowUpKind.COMPLAINT
    assert kind_of(ticket(TicketType.REPAIR)) is FollowUpKind.REPAIR
    assert kind_of(ticket(TicketType.EMERGENCY, hazard="injury")) is FollowUpKind.EMERGENCY
    assert (
        kind_of(ticket(TicketType.EMERGENCY, hazard="fire")) is None
    )  # the manual's row is 急救 (someone hurt)
    assert kind_of(ticket(TicketType.SUGGESTION)) is None


def test_sampling_is_reproducible_and_meets_the_rate() -> None:
    references = [f"R26112{day:02d}{n:04d}" for day in range(1, 29) for n in range(1, 400)]
    drawn = [sampled("回访", ref, 0.3) for ref in references]
    assert drawn == [sampled("回访", ref, 0.3) for ref in references]
    assert abs(sum(drawn) / len(drawn) - 0.3) < 0.02
    other_seed = [sampled("another site", ref, 0.3) for ref in references]
    assert other_seed != drawn
    assert all(sampled("回访", ref, 1.0) for ref in references[:50])
    assert not any(sampled("回访", ref, 0.0) for ref in references[:50])


def test_an_unsampled_ticket_is_still_recorded_for_the_statistics() -> None:
    references = [f"R261127{n:04d}" for n in range(1, 60)]
    plans = [plan(ticket(TicketType.REPAIR, ref), SITE, at("2026-11-27T10:00")) for ref in references]
    statuses = {p.status for p in plans if p is not None}
    assert statuses == {FollowUpStatus.SCHEDULED, FollowUpStatus.NOT_SAMPLED}
    skipped = next(p for p in plans if p is not None and p.status is FollowUpStatus.NOT_SAMPLED)
    assert skipped.due_at is None and skipped.window_end == at("2026-11-30T10:00")
    assert plan(ticket(TicketType.SUGGESTION), SITE, at("2026-11-27T10:00")) is None


@pytest.mark.parametrize(
    ("resolved", "rule", "due"),
    [
        ("2026-11-27T10:00", CallbackRule(rate=1, window_end_days=3), "2026-11-28T10:00"),
        ("2026-11-27T23:30", CallbackRule(rate=1, window_end_days=3), "2026-11-28T10:00"),
        (
            "2026-11-27T10:00",
            CallbackRule(rate=1, window_start_days=30, window_end_days=60),
            "2026-12-28T10:00",
        ),
        ("2026-11-27T23:00", CallbackRule(rate=1, window_end_days=1), "2026-11-28T10:00"),
        # a window too short for "tomorrow at 10": as soon as it opens, outside quiet hours
        ("2026-11-27T07:00", CallbackRule(rate=1, window_end_days=1), "2026-11-27T08:30"),
        ("2026-11-27T09:00", CallbackRule(rate=1, window_end_days=1), "2026-11-27T09:00"),
    ],
)
def test_the_due_time_is_inside_the_window_and_outside_quiet_hours(
    resolved: str, rule: CallbackRule, due: str
) -> None:
    when = due_time(at(resolved), rule, SITE)
    assert when == at(due)
    _, end = window(at(resolved), rule)
    assert when <= end
    assert not in_quiet_hours(when, SITE.quiet_hours, SITE)


def test_quiet_hours_may_cross_midnight_or_not() -> None:
    assert in_quiet_hours(at("2026-11-27T21:00"), SITE.quiet_hours, SITE)
    assert in_quiet_hours(at("2026-11-28T08:29"), SITE.quiet_hours, SITE)
    assert not in_quiet_hours(at("2026-11-28T08:30"), SITE.quiet_hours, SITE)
    siesta = QuietHours(start=time(12, 0), end=time(14, 0))
    assert in_quiet_hours(at("2026-11-28T13:00"), siesta, SITE)
    assert not in_quiet_hours(at("2026-11-28T23:00"), siesta, SITE)


def test_a_site_may_change_the_policy_and_the_seed() -> None:
    data = SITE.model_dump()
    data["callbacks"] = {**data["callbacks"], "repair": {"rate": 1.0, "window_end_days": 2}}
    data["callback_seed"] = "另一个小区"
    site = SiteConfig.model_validate(data)
    planned = plan(ticket(TicketType.REPAIR, "R2611270009"), site, at("2026-11-27T10:00"))
    assert planned is not None and planned.status is FollowUpStatus.SCHEDULED
    assert planned.window_end - planned.resolved_at == timedelta(days=2)
