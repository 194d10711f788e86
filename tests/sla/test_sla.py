"""The promise clock: each kind of promise, pauses while the resident is awaited, and escalation levels."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from dialogs.domain import Ticket, TicketEvent, TicketStatus, TicketType
from dialogs.promises import promised_by
from dialogs.site import SiteConfig
from dialogs.sla import (
    ClockKind,
    Escalation,
    PromiseKind,
    PromiseState,
    PromiseStatus,
    assess,
    escalation_level,
    promises_for,
)
from tests.sla.builders import local, note, site, staff_reply, status, ticket

SITE = site()
FRIDAY = "2026-11-27"
MONDAY = "2026-11-30"


def by_kind(states: list[PromiseState]) -> dict[PromiseKind, PromiseState]:
    return {state.kind: state for state in states}


def state_of(
    kind: PromiseKind, subject: Ticket, events: list[TicketEvent], config: SiteConfig, now: datetime
) -> PromiseState:
    return by_kind(assess(subject, events, config, now))[kind]


# --- which promises a ticket carries ---------------------------------------------------------------


def test_acceptance_counts_office_time_only() -> None:
    (accept, complete) = promises_for(ticket(TicketType.REPAIR, local(FRIDAY, 17, 20)), SITE)
    assert accept.kind is PromiseKind.ACCEPT and accept.clock is ClockKind.OFFICE
    assert accept.due_at == local(MONDAY, 8, 50)
    assert complete.kind is PromiseKind.COMPLETE


def test_emergency_acceptance_is_ten_minutes_at_any_hour() -> None:
    (accept,) = promises_for(ticket(TicketType.EMERGENCY, local("2026-11-28", 3)), SITE)
    assert accept.clock is ClockKind.CALENDAR and accept.due_at == local("2026-11-28", 3, 10)


def test_complaint_feedback_within_24_calendar_hours() -> None:
    promises = promises_for(ticket(TicketType.COMPLAINT, local(FRIDAY, 16)), SITE)
    feedback = next(p for p in promises if p.kind is PromiseKind.FEEDBACK)
    assert feedback.clock is ClockKind.CALENDAR and feedback.due_at == local("2026-11-28", 16)


@pytest.mark.parametrize(
    ("received", "due"),
    [
        (local(FRIDAY, 10), local(FRIDAY, 23, 59)),  # during office hours: the same day
        (local(FRIDAY, 7), local(FRIDAY, 23, 59)),  # before opening: the desk still opens today
        (local(FRIDAY, 18), local(MONDAY, 23, 59)),  # after closing: the next working day
        (local("2026-11-28", 10), local(MONDAY, 23, 59)),  # on a day off: the next working day
    ],
)
def test_small_repair_is_done_the_same_day(received: datetime, due: datetime) -> None:
    (_, complete) = promises_for(ticket(TicketType.REPAIR, received, category="plumbing"), SITE)
    assert complete.due_at == due


def test_small_repair_after_hours_before_a_holiday_waits_for_the_next_working_day() -> None:
    holiday_monday = site(holidays=(date(2026, 11, 30),))
    (_, complete) = promises_for(ticket(TicketType.REPAIR, local(FRIDAY, 18)), holiday_monday)
    assert complete.due_at == local("2026-12-01", 23, 59)


def test_larger_repair_within_three_days() -> None:
    (_, complete) = promises_for(ticket(TicketType.REPAIR, local(FRIDAY, 10), category="structure"), SITE)
    assert complete.due_at == local(MONDAY, 10)


def test_a_booked_visit_replaces_the_completion_promise() -> None:
    booked = local(MONDAY, 15)
    for kind in (TicketType.REPAIR, TicketType.SERVICE_ORDER):
        (_, complete) = promises_for(
            ticket(kind, local(FRIDAY, 10), category="courier", preferred_time=booked), SITE
        )
        assert complete.due_at == booked


def test_a_booked_time_in_the_past_is_no_booking() -> None:
    past = local(FRIDAY, 9)
    (_, complete) = promises_for(ticket(TicketType.REPAIR, local(FRIDAY, 10), preferred_time=past), SITE)
    assert complete.due_at == local(FRIDAY, 23, 59)


def test_service_orders_take_the_catalogue_lead_time() -> None:
    (_, complete) = promises_for(
        ticket(TicketType.SERVICE_ORDER, local(FRIDAY, 10), category="courier"), SITE
    )
    assert complete.due_at == local(FRIDAY, 12)
    taxi = promises_for(ticket(TicketType.SERVICE_ORDER, local(FRIDAY, 10), category="taxi"), SITE)
    assert [p.kind for p in taxi] == [PromiseKind.ACCEPT]


def test_a_person_answers_a_handoff_within_two_office_hours() -> None:
    (_, reply) = promises_for(ticket(TicketType.HUMAN, local(FRIDAY, 16, 30)), SITE)
    assert reply.kind is PromiseKind.REPLY and reply.clock is ClockKind.OFFICE
    assert reply.due_at == local(MONDAY, 9, 30)


def test_promised_by_is_what_residents_are_told() -> None:
    assert promised_by(ticket(TicketType.REPAIR, local(FRIDAY, 10)), SITE) == local(FRIDAY, 23, 59)
    assert promised_by(ticket(TicketType.EMERGENCY, local(FRIDAY, 10)), SITE) == local(FRIDAY, 10, 10)
    assert promised_by(ticket(TicketType.HUMAN, local(FRIDAY, 10)), SITE) == local(FRIDAY, 12)
    assert promised_by(ticket(TicketType.SERVICE_ORDER, local(FRIDAY, 10), category="taxi"), SITE) == local(
        FRIDAY, 10, 30
    )
    assert promised_by(ticket(TicketType.SUGGESTION, local(FRIDAY, 10)), SITE) is None
    assert promised_by(ticket(TicketType.PRAISE, local(FRIDAY, 10)), SITE) is None


# --- how promises stand ----------------------------------------------------------------------------

EMERGENCY = ticket(TicketType.EMERGENCY, local("2026-11-28", 3))


@pytest.mark.parametrize(
    ("minutes", "expected_status", "level"),
    [
        (5, PromiseStatus.MET, Escalation.NONE),
        (8, PromiseStatus.AT_RISK, Escalation.ASSIGNEE),
        (10, PromiseStatus.AT_RISK, Escalation.ASSIGNEE),  # due but not yet past due
        (11, PromiseStatus.BREACHED, Escalation.SUPERVISOR),
        (20, PromiseStatus.BREACHED, Escalation.MANAGER),  # overrun by the allowed time again
    ],
)
def test_escalation_levels(minutes: int, expected_status: PromiseStatus, level: Escalation) -> None:
    now = EMERGENCY.created_at + timedelta(minutes=minutes)
    (state,) = assess(EMERGENCY, [], SITE, now)
    assert state.status is expected_status
    assert state.used == pytest.approx(minutes / 10)
    assert escalation_level(state, now) is level


def test_an_earlier_assessment_knows_when_to_escalate_next() -> None:
    (state,) = assess(EMERGENCY, [], SITE, EMERGENCY.created_at)
    assert state.at_risk_at == local("2026-11-28", 3, 8)
    assert state.due_at == local("2026-11-28", 3, 10)
    assert state.manager_at == local("2026-11-28", 3, 20)
    assert escalation_level(state, local("2026-11-28", 3, 15)) is Escalation.SUPERVISOR


def test_the_at_risk_share_is_configurable() -> None:
    now = EMERGENCY.created_at + timedelta(minutes=5)
    (state,) = assess(EMERGENCY, [], SITE, now, at_risk=0.5)
    assert state.status is PromiseStatus.AT_RISK
    with pytest.raises(ValueError, match="share"):
        assess(EMERGENCY, [], SITE, now, at_risk=1.5)


def test_office_promises_do_not_run_at_night() -> None:
    evening = ticket(TicketType.REPAIR, local(FRIDAY, 17, 20))
    state = state_of(PromiseKind.ACCEPT, evening, [], SITE, local("2026-11-29", 23))
    assert state.status is PromiseStatus.MET and state.used == pytest.approx(10 / 30)
    state = state_of(PromiseKind.ACCEPT, evening, [], SITE, local(MONDAY, 8, 45))
    assert state.status is PromiseStatus.AT_RISK and escalation_level(state, local(MONDAY, 8, 45)) == 1


def test_acceptance_is_kept_by_accepting_or_by_any_later_step() -> None:
    repair = ticket(TicketType.REPAIR, local(FRIDAY, 10))
    for step in (TicketStatus.ACCEPTED, TicketStatus.RESOLVED):
        events = [status(local(FRIDAY, 10, 20), step)]
        state = state_of(PromiseKind.ACCEPT, repair, events, SITE, local(FRIDAY, 12))
        assert state.status is PromiseStatus.FULFILLED and state.ended_at == local(FRIDAY, 10, 20)
        assert escalation_level(state, local(FRIDAY, 12)) is Escalation.NONE


def test_kept_late_stays_breached_but_escalates_no_more() -> None:
    repair = ticket(TicketType.REPAIR, local(FRIDAY, 10))
    events = [status(local(FRIDAY, 11), TicketStatus.ACCEPTED)]
    state = state_of(PromiseKind.ACCEPT, repair, events, SITE, local(FRIDAY, 12))
    assert state.status is PromiseStatus.BREACHED and state.used == pytest.approx(2.0)
    assert escalation_level(state, local(FRIDAY, 12)) is Escalation.NONE


@pytest.mark.parametrize(
    ("event", "expected"),
    [
        (note(local("2026-11-28", 12), feedback=True), PromiseStatus.FULFILLED),
        (
            staff_reply(local("2026-11-28", 12), text="已核实，明天处理", feedback=True),
            PromiseStatus.FULFILLED,
        ),
        (status(local("2026-11-28", 12), TicketStatus.RESOLVED), PromiseStatus.FULFILLED),
        (note(local("2026-11-28", 17), feedback=True), PromiseStatus.BREACHED),
        (note(local("2026-11-28", 12), text="called the plumber"), PromiseStatus.BREACHED),
    ],
)
def test_complaint_feedback_is_a_feedback_note_or_the_resolution(
    event: TicketEvent, expected: PromiseStatus
) -> None:
    complaint = ticket(TicketType.COMPLAINT, local(FRIDAY, 16))
    state = state_of(PromiseKind.FEEDBACK, complaint, [event], SITE, local("2026-11-29", 9))
    assert state.status is expected


@pytest.mark.parametrize(
    "answer",
    [
        note(local(FRIDAY, 11), reply="您好，我是客服小王"),
        staff_reply(local(FRIDAY, 11), text="您好，我是客服小王", feedback=True),
    ],
)
def test_a_staff_reply_keeps_the_handoff_promise(answer: TicketEvent) -> None:
    handoff = ticket(TicketType.HUMAN, local(FRIDAY, 10))
    events = [answer]
    assert (
        state_of(PromiseKind.REPLY, handoff, events, SITE, local(FRIDAY, 15)).status
        is PromiseStatus.FULFILLED
    )


def test_completion_is_the_resolution_and_the_booked_time_counts() -> None:
    booked = local(MONDAY, 15)
    repair = ticket(TicketType.REPAIR, local(FRIDAY, 10), preferred_time=booked)
    done = [status(local(MONDAY, 14), TicketStatus.RESOLVED)]
    assert (
        state_of(PromiseKind.COMPLETE, repair, done, SITE, local(MONDAY, 16)).status
        is PromiseStatus.FULFILLED
    )
    late = state_of(PromiseKind.COMPLETE, repair, [], SITE, local(MONDAY, 16))
    assert late.status is PromiseStatus.BREACHED and late.due_at == booked


def test_waiting_for_the_resident_extends_the_due_time() -> None:
    complaint = ticket(TicketType.COMPLAINT, local(FRIDAY, 10))
    events = [
        status(local(FRIDAY, 12), TicketStatus.WAITING_RESIDENT),
        status(local(FRIDAY, 16), TicketStatus.ACCEPTED),
    ]
    state = state_of(PromiseKind.FEEDBACK, complaint, events, SITE, local("2026-11-28", 12))
    assert state.due_at == local("2026-11-28", 14)
    assert state.used == pytest.approx(22 / 24) and state.status is PromiseStatus.AT_RISK
    assert not state.paused


def test_a_pause_counts_in_office_time_for_office_promises() -> None:
    handoff = ticket(TicketType.HUMAN, local(FRIDAY, 16))
    events = [
        status(local(FRIDAY, 16, 30), TicketStatus.WAITING_RESIDENT),
        status(local(MONDAY, 9), TicketStatus.ACCEPTED),
    ]
    # 30 minutes on Friday before the pause, the other 90 from Monday 09:00.
    assert state_of(PromiseKind.REPLY, handoff, events, SITE, local(MONDAY, 9)).due_at == local(
        MONDAY, 10, 30
    )


def test_nothing_escalates_while_the_resident_is_awaited() -> None:
    complaint = ticket(TicketType.COMPLAINT, local(FRIDAY, 10))
    events = [status(local("2026-11-28", 6), TicketStatus.WAITING_RESIDENT)]
    now = local("2026-11-28", 8)
    state = state_of(PromiseKind.FEEDBACK, complaint, events, SITE, now)
    assert state.paused and state.status is PromiseStatus.AT_RISK
    assert state.used == pytest.approx(20 / 24)
    assert escalation_level(state, now + timedelta(days=3)) is Escalation.ASSIGNEE
    later = state_of(PromiseKind.FEEDBACK, complaint, events, SITE, now + timedelta(days=3))
    assert later.status is PromiseStatus.AT_RISK and later.due_at == now + timedelta(days=3, hours=4)


def test_waiting_after_the_due_time_does_not_undo_a_breach() -> None:
    complaint = ticket(TicketType.COMPLAINT, local(FRIDAY, 10))
    events = [status(local("2026-11-28", 11), TicketStatus.WAITING_RESIDENT)]
    state = state_of(PromiseKind.FEEDBACK, complaint, events, SITE, local("2026-11-29", 12))
    assert state.status is PromiseStatus.BREACHED and state.due_at == local("2026-11-28", 10)
    assert escalation_level(state, local("2026-11-29", 12)) is Escalation.SUPERVISOR


def test_cancelling_voids_what_was_not_yet_due() -> None:
    complaint = ticket(TicketType.COMPLAINT, local(FRIDAY, 10))
    events = [status(local(FRIDAY, 10, 5), TicketStatus.CANCELLED)]
    states = by_kind(assess(complaint, events, SITE, local(MONDAY, 10)))
    assert states[PromiseKind.ACCEPT].status is PromiseStatus.VOID
    assert states[PromiseKind.FEEDBACK].status is PromiseStatus.VOID
    assert escalation_level(states[PromiseKind.FEEDBACK], local(MONDAY, 10)) is Escalation.NONE


def test_events_after_now_are_not_known_yet() -> None:
    repair = ticket(TicketType.REPAIR, local(FRIDAY, 10))
    events = [status(local(FRIDAY, 10, 28), TicketStatus.ACCEPTED)]
    state = state_of(PromiseKind.ACCEPT, repair, events, SITE, local(FRIDAY, 10, 25))
    assert state.status is PromiseStatus.AT_RISK and state.ended_at is None


def test_status_and_escalation_agree_at_every_minute() -> None:
    repair = ticket(TicketType.REPAIR, local(FRIDAY, 17, 20))
    expected = {
        PromiseStatus.MET: {Escalation.NONE},
        PromiseStatus.AT_RISK: {Escalation.ASSIGNEE},
        PromiseStatus.BREACHED: {Escalation.SUPERVISOR, Escalation.MANAGER},
    }
    seen: set[Escalation] = set()
    now = repair.created_at
    while now < local(MONDAY, 10):
        state = state_of(PromiseKind.ACCEPT, repair, [], SITE, now)
        level = escalation_level(state, now)
        assert level in expected[state.status]
        assert (level is Escalation.MANAGER) == (state.used >= 2.0)
        seen.add(level)
        now += timedelta(minutes=7)
    assert seen == set(Escalation)
