"""The service-promise clock (时效制): what the center promised for a ticket, and how each promise stands.

The manual's rule is that every promised time is kept, so staff must hear about a promise before it is
broken, and supervisors and managers when it was. This module turns a ticket, its events and the site's
promises into that picture; it reads no clock and does no I/O (the scheduler passes `now` and acts on the
result). Time spent waiting for the resident does not count against the center: it extends the due time.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from enum import IntEnum, StrEnum

from dialogs.calendar import WorkCalendar, add_working_time, working_time_between
from dialogs.domain import EventKind, Priority, Ticket, TicketEvent, TicketStatus, TicketType
from dialogs.site import SiteConfig

# Promises are measured against this when nothing else is configured (the site's `at_risk_fraction`).
DEFAULT_AT_RISK = 0.8
# A promise overrun by its whole allowed time again goes to the manager.
MANAGER_FRACTION = 2.0
# The end of a local day as residents read it.
_END_OF_DAY = time(23, 59)


class PromiseKind(StrEnum):
    """What was promised."""

    ACCEPT = "accept"  # somebody takes the ticket on
    FEEDBACK = "feedback"  # a complaint's resident hears back
    COMPLETE = "complete"  # a repair or service order is done (or the booked visit happens)
    REPLY = "reply"  # a person answers a handed-off conversation


class ClockKind(StrEnum):
    """Which time a promise counts: only staffed office time, or all elapsed time."""

    OFFICE = "office"
    CALENDAR = "calendar"


class PromiseStatus(StrEnum):
    """How a promise stands."""

    MET = "met"  # still running, less than the at-risk share used
    AT_RISK = "at_risk"  # still running, the at-risk share used
    BREACHED = "breached"  # due time passed before it was kept (kept late stays breached)
    FULFILLED = "fulfilled"  # kept in time
    VOID = "void"  # the ticket was cancelled before the promise fell due


class Escalation(IntEnum):
    """Who has to hear about a promise."""

    NONE = 0
    ASSIGNEE = 1
    SUPERVISOR = 2
    MANAGER = 3


@dataclass(frozen=True)
class Promise:
    """One promise as made at receipt, before any pause: due at `due_at`, counting `clock` time.

    `allowed` is the promised amount of `clock` time from `starts_at`; pauses extend it, so the
    state's `due_at` can be later than this one.
    """

    kind: PromiseKind
    due_at: datetime
    clock: ClockKind
    starts_at: datetime
    allowed: timedelta


@dataclass(frozen=True)
class PromiseState:
    """A promise as it stands at `assessed_at`.

    The three instants are where the promise crosses the at-risk share, its allowed time and twice its
    allowed time, projected from `assessed_at` without further pauses; the scheduler can set its next
    check to the first one still ahead. `used` is the share of the allowed time used so far (1.0 = due).
    """

    promise: Promise
    status: PromiseStatus
    due_at: datetime
    used: float
    at_risk_at: datetime
    manager_at: datetime
    assessed_at: datetime
    ended_at: datetime | None = None
    paused: bool = False

    @property
    def kind(self) -> PromiseKind:
        """What was promised."""
        return self.promise.kind


# --- the promises a ticket carries ------------------------------------------------------------------


def same_day_due(calendar: WorkCalendar, received: datetime) -> datetime:
    """'The same day': the end of the local day of receipt, or of the next working day when no office
    time is left on that day (received after closing, or on a day off), so a night report is not
    breached before anybody could have started on it."""
    day = calendar.local_day(received)
    midnight = datetime.combine(day + timedelta(days=1), time(0), tzinfo=calendar.zone)
    if working_time_between(calendar, received, midnight) <= timedelta(0):
        day = calendar.next_working_day(day)
    return datetime.combine(day, _END_OF_DAY, tzinfo=calendar.zone).astimezone(UTC)


def _calendar_promise(kind: PromiseKind, start: datetime, due: datetime) -> Promise:
    return Promise(kind=kind, due_at=due, clock=ClockKind.CALENDAR, starts_at=start, allowed=due - start)


def _office_promise(
    kind: PromiseKind, calendar: WorkCalendar, start: datetime, allowed: timedelta
) -> Promise:
    due = add_working_time(calendar, start, allowed)
    return Promise(kind=kind, due_at=due, clock=ClockKind.OFFICE, starts_at=start, allowed=allowed)


def _completion(ticket: Ticket, site: SiteConfig, calendar: WorkCalendar) -> Promise | None:
    """The completion promise of a repair or service order; a booked visit time replaces it."""
    created = ticket.created_at.astimezone(UTC)
    booked = ticket.preferred_time
    if booked is not None and booked.astimezone(UTC) > created:
        return _calendar_promise(PromiseKind.COMPLETE, created, booked.astimezone(UTC))
    if ticket.type is TicketType.SERVICE_ORDER:
        item = site.service_catalogue.get(ticket.category or "")
        hours = item.lead_time_hours if item is not None else 24
        # A zero lead time ("right away", e.g. calling a taxi) promises nothing beyond acceptance.
        return (
            _calendar_promise(PromiseKind.COMPLETE, created, created + timedelta(hours=hours))
            if hours
            else None
        )
    category = site.repair_categories.get(ticket.category or "other")
    small = category is None or category.small
    if small and site.promises.small_repair_same_day:
        return _calendar_promise(PromiseKind.COMPLETE, created, same_day_due(calendar, created))
    due = created + timedelta(days=site.promises.large_repair_days)
    return _calendar_promise(PromiseKind.COMPLETE, created, due)


def promises_for(ticket: Ticket, site: SiteConfig) -> list[Promise]:
    """Every promise the ticket carries from receipt, acceptance first."""
    calendar = WorkCalendar.for_site(site)
    promises = site.promises
    created = ticket.created_at.astimezone(UTC)
    result: list[Promise] = []
    if ticket.type is TicketType.EMERGENCY or ticket.priority is Priority.URGENT:
        # Emergencies do not wait for the desk to open.
        due = created + timedelta(minutes=promises.emergency_accept_minutes)
        result.append(_calendar_promise(PromiseKind.ACCEPT, created, due))
    elif ticket.type in (TicketType.SUGGESTION, TicketType.PRAISE):
        pass  # records to read and answer, not jobs to accept: their answer is tracked on resolution
    else:
        allowed = timedelta(minutes=promises.accept_minutes)
        result.append(_office_promise(PromiseKind.ACCEPT, calendar, created, allowed))
    if ticket.type is TicketType.COMPLAINT:
        due = created + timedelta(hours=promises.complaint_feedback_hours)
        result.append(_calendar_promise(PromiseKind.FEEDBACK, created, due))
    elif ticket.type in (TicketType.REPAIR, TicketType.SERVICE_ORDER):
        completion = _completion(ticket, site, calendar)
        if completion is not None:
            result.append(completion)
    elif ticket.type is TicketType.HUMAN:
        allowed = timedelta(hours=promises.handoff_reply_hours)
        result.append(_office_promise(PromiseKind.REPLY, calendar, created, allowed))
    return result


# --- what the events say --------------------------------------------------------------------------

_DONE = frozenset({TicketStatus.RESOLVED, TicketStatus.CLOSED})
# Any move out of `open` except cancelling means somebody took the ticket on, even if the explicit
# `accepted` step was skipped.
_TAKEN = frozenset({TicketStatus.ACCEPTED, TicketStatus.WAITING_RESIDENT}) | _DONE
# Events that can carry words to the resident; complaint feedback is the ones flagged {"feedback": true}.
_MESSAGES = frozenset({EventKind.NOTE, EventKind.STAFF_REPLY})


def _status_to(event: TicketEvent) -> str | None:
    if event.kind is not EventKind.STATUS_CHANGED:
        return None
    value = event.data.get("to")
    return str(value) if value is not None else None


def _keeps(kind: PromiseKind, event: TicketEvent) -> bool:
    """Whether this event keeps a promise of this kind."""
    to = _status_to(event)
    if kind is PromiseKind.ACCEPT:
        return to in _TAKEN
    if to in _DONE:
        return True
    if kind is PromiseKind.FEEDBACK:
        return event.kind in _MESSAGES and event.data.get("feedback") is True
    if kind is PromiseKind.REPLY:
        return event.kind is EventKind.STAFF_REPLY or (
            event.kind is EventKind.NOTE and bool(event.data.get("reply"))
        )
    return False


def _ending(kind: PromiseKind, events: Sequence[TicketEvent]) -> tuple[datetime, bool] | None:
    """When the promise stopped running and whether it was kept (False: the ticket was cancelled)."""
    for event in events:
        if _keeps(kind, event):
            return event.at.astimezone(UTC), True
        if _status_to(event) == TicketStatus.CANCELLED:
            return event.at.astimezone(UTC), False
    return None


def pauses(events: Sequence[TicketEvent], now: datetime) -> tuple[list[tuple[datetime, datetime]], bool]:
    """The spans the ticket waited for the resident, in order, and whether it still waits (the open
    span then ends at `now`)."""
    spans: list[tuple[datetime, datetime]] = []
    opened: datetime | None = None
    for event in events:
        to = _status_to(event)
        if to is None:
            continue
        if to == TicketStatus.WAITING_RESIDENT:
            opened = opened or event.at.astimezone(UTC)
        elif opened is not None:
            spans.append((opened, event.at.astimezone(UTC)))
            opened = None
    if opened is not None:
        spans.append((opened, now))
    return spans, opened is not None


# --- the running clock ----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Timeline:
    """A promise's clock: time counts from `start` except inside `paused` spans (all before `stop`)."""

    start: datetime
    paused: tuple[tuple[datetime, datetime], ...]
    measure: Callable[[datetime, datetime], timedelta]
    advance: Callable[[datetime, timedelta], datetime]

    def _running(self) -> Iterable[tuple[datetime, datetime | None]]:
        """The spans the clock runs, the last one open-ended."""
        cursor = self.start
        for begin, end in self.paused:
            yield cursor, begin
            cursor = end
        yield cursor, None

    def used_until(self, moment: datetime) -> timedelta:
        """Counted time from the start to `moment`."""
        total = timedelta(0)
        for begin, end in self._running():
            if begin >= moment:
                break
            total += self.measure(begin, moment if end is None else min(end, moment))
        return total

    def reaches(self, budget: timedelta) -> datetime:
        """The moment the counted time reaches `budget`."""
        remaining = budget
        for begin, end in self._running():
            span = None if end is None else self.measure(begin, end)
            if span is None or remaining <= span:
                return self.advance(begin, remaining)
            remaining -= span
        raise AssertionError("unreachable: the last running span is open-ended")  # pragma: no cover


def _clip(
    spans: Iterable[tuple[datetime, datetime]], start: datetime, stop: datetime
) -> tuple[tuple[datetime, datetime], ...]:
    clipped = ((max(begin, start), min(end, stop)) for begin, end in spans)
    return tuple((begin, end) for begin, end in clipped if begin < end)


def _timeline(
    promise: Promise, calendar: WorkCalendar, spans: list[tuple[datetime, datetime]], stop: datetime
) -> _Timeline:
    paused = _clip(spans, promise.starts_at, stop)
    if promise.clock is ClockKind.OFFICE:
        return _Timeline(
            promise.starts_at,
            paused,
            lambda a, b: working_time_between(calendar, a, b),
            lambda a, amount: add_working_time(calendar, a, amount),
        )
    return _Timeline(
        promise.starts_at, paused, lambda a, b: max(b - a, timedelta(0)), lambda a, amount: a + amount
    )


def _assess_one(
    promise: Promise,
    calendar: WorkCalendar,
    events: Sequence[TicketEvent],
    spans: list[tuple[datetime, datetime]],
    waiting: bool,
    now: datetime,
    at_risk: float,
) -> PromiseState:
    ending = _ending(promise.kind, events)
    stop = now if ending is None else ending[0]
    timeline = _timeline(promise, calendar, spans, stop)
    due_at = timeline.reaches(promise.allowed)
    used = timeline.used_until(stop) / promise.allowed if promise.allowed > timedelta(0) else 1.0
    at_risk_at = timeline.reaches(promise.allowed * at_risk)
    if ending is None:
        status = PromiseStatus.MET
        if now > due_at:
            status = PromiseStatus.BREACHED
        elif now >= at_risk_at:
            status = PromiseStatus.AT_RISK
    elif ending[0] > due_at:
        status = PromiseStatus.BREACHED
    else:
        status = PromiseStatus.FULFILLED if ending[1] else PromiseStatus.VOID
    return PromiseState(
        promise=promise,
        status=status,
        due_at=due_at,
        used=used,
        at_risk_at=at_risk_at,
        manager_at=timeline.reaches(promise.allowed * MANAGER_FRACTION),
        assessed_at=now,
        ended_at=None if ending is None else ending[0],
        paused=ending is None and waiting,
    )


def assess(
    ticket: Ticket,
    events: Iterable[TicketEvent],
    site: SiteConfig,
    now: datetime,
    *,
    at_risk: float = DEFAULT_AT_RISK,
) -> list[PromiseState]:
    """How each of the ticket's promises stands at `now` (aware); events after `now` are ignored, so the
    same history assessed at an earlier instant gives the answer that was true then."""
    if not 0.0 < at_risk < 1.0:
        raise ValueError("at_risk is a share between 0 and 1")
    moment = now.astimezone(UTC)
    history = sorted((event for event in events if event.at <= moment), key=lambda event: event.at)
    spans, waiting = pauses(history, moment)
    calendar = WorkCalendar.for_site(site)
    return [
        _assess_one(promise, calendar, history, spans, waiting, moment, at_risk)
        for promise in promises_for(ticket, site)
    ]


def escalation_level(state: PromiseState, now: datetime) -> Escalation:
    """Who has to hear about the promise at `now`: nobody once it has ended; while the ticket waits for
    the resident the clock stands still, so nothing escalates further than it had when assessed."""
    if state.ended_at is not None:
        return Escalation.NONE
    moment = min(now, state.assessed_at) if state.paused else now
    if moment >= state.manager_at:
        return Escalation.MANAGER
    if moment > state.due_at:
        return Escalation.SUPERVISOR
    if moment >= state.at_risk_at:
        return Escalation.ASSIGNEE
    return Escalation.NONE
