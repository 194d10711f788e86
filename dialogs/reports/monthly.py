"""The figures of a month (月度分析): complaints, suggestions, repairs and orders, staff, and the flags.

`build_report` is a pure function of a `MonthData` snapshot (tickets created in the month, their events,
the households' buildings, the staff list): the same data gives the same report, whichever day it is
computed. Promises are assessed at the end of the month with `dialogs.sla`, so "kept" means what the
promise clock says, and a promise still running when the month closed counts as open, not as kept; events
after the month are not read. Callbacks are the exception: made in the days after a ticket is handled, they
are judged as they stand when the report is made (`MonthData.as_of`).

Definitions the figures use (a test recomputes each one independently):
- acceptance time: from receipt to the first move out of `open` (accepted, waiting, resolved, closed);
- resolution time: from receipt to the first `resolved` or `closed`;
- same-day completion: resolved on the site-local day of receipt; 3-day: within 72 hours of receipt;
- reopen rate: tickets the resident reopened ("not fixed") among those resolved;
- handled by a staff member: tickets of the month on which they changed the status;
- callbacks: see `dialogs.reports.callbacks`; surveys: `dialogs.survey.results` for each campaign run;
- repeated complaint: complaints linked as the same matter (`linked_to`), two or more in a chain with one
  in the month; repeated repair: three or more repairs of one household in one category in the month;
  failed callback: nobody reached, the window passed undone, or the resident was unsatisfied.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from dialogs.domain import EventKind, StaffMember, Ticket, TicketEvent, TicketStatus, TicketType
from dialogs.followup.records import FollowUp
from dialogs.nlu.types import COMPLAINT_CLASSES
from dialogs.reports.callbacks import CallbackLine, callback_lines, failed_callbacks
from dialogs.reports.causes import cause_of
from dialogs.reports.period import ReportMonth
from dialogs.reports.surveys import SurveyLine
from dialogs.site import SiteConfig
from dialogs.sla import PromiseKind, PromiseStatus, assess

# A count per key, largest first (ties by key), as the tables list them.
Tally = tuple[tuple[str, int], ...]

TOP_CAUSES = 3
REPEATED_COMPLAINT = 2  # the manual: the same matter complained about 2 or more times
REPEATED_REPAIR = 3  # the manual: the same repair 3 or more times
THREE_DAYS = timedelta(days=3)

_TAKEN = frozenset(
    {TicketStatus.ACCEPTED, TicketStatus.WAITING_RESIDENT, TicketStatus.RESOLVED, TicketStatus.CLOSED}
)
_DONE = frozenset({TicketStatus.RESOLVED, TicketStatus.CLOSED})
NO_BUILDING = ""
_STATUS_VALUES = frozenset(status.value for status in TicketStatus)


@dataclass(frozen=True)
class MonthData:
    """What a month's report is computed from (loaded by `dialogs.reports.loader`)."""

    month: ReportMonth
    tickets: tuple[Ticket, ...]  # created in the month
    events: Mapping[int, tuple[TicketEvent, ...]]  # by ticket id, in order
    buildings: Mapping[int, str]  # household id -> building
    rooms: Mapping[int, str]  # household id -> room (names a household in the flags)
    staff: tuple[StaffMember, ...]
    earlier: tuple[Ticket, ...] = ()  # complaints before the month that the month's complaints link to
    followups: tuple[FollowUp, ...] = ()  # callback records of the tickets resolved in the month
    surveys: tuple[SurveyLine, ...] = ()
    as_of: datetime | None = (
        None  # when the report is made (callbacks whose window is still open); default end
    )


@dataclass(frozen=True)
class PromiseTally:
    """How the promises of one kind stood at the end of the month."""

    kept: int = 0
    late: int = 0  # kept, but after the due time
    overdue: int = 0  # not kept, and the due time has passed
    running: int = 0  # not kept yet, not due yet

    @property
    def decided(self) -> int:
        """Promises whose outcome is known (kept, late or overdue)."""
        return self.kept + self.late + self.overdue

    @property
    def compliance(self) -> float | None:
        """The share kept in time among those decided (None when none is)."""
        return self.kept / self.decided if self.decided else None

    def __add__(self, other: PromiseTally) -> PromiseTally:
        return PromiseTally(
            self.kept + other.kept,
            self.late + other.late,
            self.overdue + other.overdue,
            self.running + other.running,
        )


@dataclass(frozen=True)
class CauseLine:
    """One of the top complaint causes, with its tickets."""

    cause: str
    count: int
    references: tuple[str, ...]


@dataclass(frozen=True)
class ComplaintSummary:
    """投诉情况月度汇总单."""

    total: int
    by_class: Tally
    by_cause: Tally
    by_building: Tally
    by_channel: Tally
    accept: PromiseTally
    feedback: PromiseTally
    median_feedback_hours: float | None
    median_resolution_hours: float | None
    resolved: int
    top_causes: tuple[CauseLine, ...]


@dataclass(frozen=True)
class SuggestionLine:
    """One row of the suggestion table."""

    reference: str
    created_at: datetime
    text: str
    outcome: str  # adopted | rejected | pending
    reason: str


@dataclass(frozen=True)
class SuggestionSummary:
    """建议情况月度表."""

    received: int
    adopted: int
    rejected: int
    pending: int
    lines: tuple[SuggestionLine, ...]


@dataclass(frozen=True)
class WorkSummary:
    """Repairs, emergencies or service orders of the month (one ticket type)."""

    type: TicketType
    total: int
    by_category: Tally
    by_queue: Tally
    completed: int
    same_day: int
    within_3_days: int
    reopened: int
    completion: PromiseTally

    @property
    def same_day_rate(self) -> float | None:
        """Share completed on the day of receipt."""
        return self.same_day / self.total if self.total else None

    @property
    def within_3_days_rate(self) -> float | None:
        """Share completed within three days."""
        return self.within_3_days / self.total if self.total else None

    @property
    def reopen_rate(self) -> float | None:
        """Share of the completed the resident reopened."""
        return self.reopened / self.completed if self.completed else None


@dataclass(frozen=True)
class StaffLine:
    """One staff member's month."""

    staff_id: int
    name: str
    role: str
    handled: int
    median_accept_minutes: float | None
    median_resolution_hours: float | None
    promises: PromiseTally
    praise: int


@dataclass(frozen=True)
class Flag:
    """Something the manual asks to be flagged, with the tickets behind it."""

    kind: str  # repeated_complaint | repeated_repair | failed_callback
    subject: str  # the household's room, or the complaint chain's first text
    references: tuple[str, ...]


@dataclass(frozen=True)
class MonthlyReport:
    """Everything a manager reads about the month."""

    month: ReportMonth
    tickets: int
    by_type: Tally
    complaints: ComplaintSummary
    suggestions: SuggestionSummary
    repairs: WorkSummary
    emergencies: WorkSummary
    orders: WorkSummary
    praise: int
    staff: tuple[StaffLine, ...]
    flags: tuple[Flag, ...] = field(default=())
    callbacks: tuple[CallbackLine, ...] = ()
    surveys: tuple[SurveyLine, ...] = ()


# --- helpers ---------------------------------------------------------------------------------------------


def tally(keys: Iterable[str], order: Sequence[str] = ()) -> Tally:
    """Count keys, largest first; keys in `order` are listed even when zero (and ties keep that order)."""
    counts = Counter(keys)
    for key in order:
        counts.setdefault(key, 0)
    rank = {key: index for index, key in enumerate(order)}
    return tuple(sorted(counts.items(), key=lambda item: (-item[1], rank.get(item[0], len(rank)), item[0])))


def _status_events(events: Sequence[TicketEvent]) -> list[tuple[TicketEvent, TicketStatus]]:
    result: list[tuple[TicketEvent, TicketStatus]] = []
    for event in events:
        if event.kind is EventKind.STATUS_CHANGED and event.data.get("to") in _STATUS_VALUES:
            result.append((event, TicketStatus(str(event.data["to"]))))
    return result


def first_status(events: Sequence[TicketEvent], wanted: frozenset[TicketStatus]) -> TicketEvent | None:
    """The first status change into one of `wanted`."""
    return next((event for event, status in _status_events(events) if status in wanted), None)


def _hours(delta: timedelta) -> float:
    return delta.total_seconds() / 3600


def _median(values: Sequence[float]) -> float | None:
    return statistics.median(values) if values else None


def promise_tally(
    tickets: Iterable[Ticket],
    events: Mapping[int, tuple[TicketEvent, ...]],
    site: SiteConfig,
    at: datetime,
    kinds: frozenset[PromiseKind] | None = None,
) -> PromiseTally:
    """How the tickets' promises (of `kinds`, or all) stood at `at`."""
    kept = late = overdue = running = 0
    for ticket in tickets:
        for state in assess(ticket, events.get(ticket.id or 0, ()), site, at, at_risk=site.at_risk_fraction):
            if kinds is not None and state.kind not in kinds:
                continue
            if state.status is PromiseStatus.FULFILLED:
                kept += 1
            elif state.status is PromiseStatus.BREACHED:
                if state.ended_at is not None:
                    late += 1
                else:
                    overdue += 1
            elif state.status in (PromiseStatus.MET, PromiseStatus.AT_RISK):
                running += 1
    return PromiseTally(kept, late, overdue, running)


def _events(data: MonthData, ticket: Ticket) -> tuple[TicketEvent, ...]:
    """The ticket's events up to the end of the month: the report shows the month as it closed."""
    return tuple(event for event in data.events.get(ticket.id or 0, ()) if event.at < data.month.end)


def _of_type(data: MonthData, ticket_type: TicketType) -> list[Ticket]:
    return [ticket for ticket in data.tickets if ticket.type is ticket_type]


# --- sections --------------------------------------------------------------------------------------------


def _complaints(data: MonthData, site: SiteConfig) -> ComplaintSummary:
    complaints = _of_type(data, TicketType.COMPLAINT)
    end = data.month.end
    feedback_hours: list[float] = []
    resolution_hours: list[float] = []
    for ticket in complaints:
        events = _events(data, ticket)
        for state in assess(ticket, events, site, end, at_risk=site.at_risk_fraction):
            answered = state.status in (PromiseStatus.FULFILLED, PromiseStatus.BREACHED)
            if state.kind is PromiseKind.FEEDBACK and answered and state.ended_at is not None:
                feedback_hours.append(_hours(state.ended_at - ticket.created_at))
        done = first_status(events, _DONE)
        if done is not None:
            resolution_hours.append(_hours(done.at - ticket.created_at))
    causes = {ticket.reference: cause_of(ticket) for ticket in complaints}
    by_cause = tally(causes.values())
    top = tuple(
        CauseLine(cause, count, tuple(sorted(ref for ref, c in causes.items() if c == cause)))
        for cause, count in by_cause[:TOP_CAUSES]
        if count
    )

    def building(ticket: Ticket) -> str:
        if ticket.household_id is None:
            return NO_BUILDING
        return data.buildings.get(ticket.household_id, NO_BUILDING)

    return ComplaintSummary(
        total=len(complaints),
        by_class=tally(
            (t.details.get("complaint_class", "service") for t in complaints), order=COMPLAINT_CLASSES
        ),
        by_cause=by_cause,
        by_building=tally(building(t) for t in complaints),
        by_channel=tally(t.channel for t in complaints),
        accept=promise_tally(complaints, data.events, site, end, frozenset({PromiseKind.ACCEPT})),
        feedback=promise_tally(complaints, data.events, site, end, frozenset({PromiseKind.FEEDBACK})),
        median_feedback_hours=_median(feedback_hours),
        median_resolution_hours=_median(resolution_hours),
        resolved=len(resolution_hours),
        top_causes=top,
    )


def _suggestions(data: MonthData) -> SuggestionSummary:
    lines: list[SuggestionLine] = []
    for ticket in sorted(_of_type(data, TicketType.SUGGESTION), key=lambda t: t.created_at):
        outcome = ticket.details.get("outcome", "")
        if outcome not in ("adopted", "rejected"):
            outcome = "pending"
        resolved = first_status(_events(data, ticket), frozenset({TicketStatus.RESOLVED}))
        reason = str(resolved.data.get("note", "")) if resolved is not None else ""
        lines.append(SuggestionLine(ticket.reference, ticket.created_at, ticket.description, outcome, reason))
    outcomes = Counter(line.outcome for line in lines)
    return SuggestionSummary(
        received=len(lines),
        adopted=outcomes["adopted"],
        rejected=outcomes["rejected"],
        pending=outcomes["pending"],
        lines=tuple(lines),
    )


def work_category(ticket: Ticket) -> str:
    """The category a repair, emergency or order is counted under."""
    if ticket.type is TicketType.EMERGENCY:
        return ticket.details.get("hazard", "urgent")
    return ticket.category or "other"


def _reopened(events: Sequence[TicketEvent]) -> bool:
    return any(
        status is TicketStatus.OPEN and event.data.get("reopened") for event, status in _status_events(events)
    )


def _work(data: MonthData, site: SiteConfig, ticket_type: TicketType) -> WorkSummary:
    tickets = _of_type(data, ticket_type)
    completed = same_day = within_3 = reopened = 0
    for ticket in tickets:
        events = _events(data, ticket)
        done = first_status(events, _DONE)
        if done is not None:
            completed += 1
            created_day = ticket.created_at.astimezone(site.zone).date()
            if done.at.astimezone(site.zone).date() == created_day:
                same_day += 1
            if done.at - ticket.created_at <= THREE_DAYS:
                within_3 += 1
        if _reopened(events):
            reopened += 1
    return WorkSummary(
        type=ticket_type,
        total=len(tickets),
        by_category=tally(work_category(t) for t in tickets),
        by_queue=tally(t.queue or site.routing.default_queue for t in tickets),
        completed=completed,
        same_day=same_day,
        within_3_days=within_3,
        reopened=reopened,
        completion=promise_tally(
            tickets, data.events, site, data.month.end, frozenset({PromiseKind.COMPLETE})
        ),
    )


def _actor_of(member: StaffMember) -> str:
    return f"staff:{member.id}"


def _staff(data: MonthData, site: SiteConfig) -> tuple[StaffLine, ...]:
    handled: Counter[str] = Counter()
    accept_minutes: dict[str, list[float]] = {}
    resolution_hours: dict[str, list[float]] = {}
    for ticket in data.tickets:
        events = _events(data, ticket)
        changes = _status_events(events)
        for actor in {event.actor for event, _ in changes}:
            handled[actor] += 1
        taken = first_status(events, _TAKEN)
        if taken is not None:
            accept_minutes.setdefault(taken.actor, []).append(
                (taken.at - ticket.created_at).total_seconds() / 60
            )
        done = first_status(events, _DONE)
        if done is not None:
            resolution_hours.setdefault(done.actor, []).append(_hours(done.at - ticket.created_at))
    praise = Counter(
        t.details.get("staff_telegram_id", "") for t in data.tickets if t.type is TicketType.PRAISE
    )
    lines = []
    for member in data.staff:
        if member.id is None:
            continue
        actor = _actor_of(member)
        assigned = [t for t in data.tickets if t.assignee_id == member.id]
        lines.append(
            StaffLine(
                staff_id=member.id,
                name=member.name,
                role=member.role.value,
                handled=handled[actor],
                median_accept_minutes=_median(accept_minutes.get(actor, [])),
                median_resolution_hours=_median(resolution_hours.get(actor, [])),
                promises=promise_tally(assigned, data.events, site, data.month.end),
                praise=praise[str(member.telegram_id)],
            )
        )
    return tuple(sorted(lines, key=lambda line: (-line.handled, line.name)))


def _repeated_complaints(data: MonthData) -> list[Flag]:
    """Chains of complaints linked as the same matter, two or more, at least one in the month."""
    # A complaint opened from a callback links to the repair it was about; that repair is not a complaint.
    earlier = [t for t in data.earlier if t.type is TicketType.COMPLAINT]
    known = {t.reference: t for t in (*earlier, *_of_type(data, TicketType.COMPLAINT))}

    def root(reference: str) -> str:
        seen: set[str] = set()
        while reference in known and known[reference].details.get("linked_to") and reference not in seen:
            seen.add(reference)
            reference = known[reference].details["linked_to"]
        return reference

    chains: dict[str, list[Ticket]] = {}
    for ticket in known.values():
        chains.setdefault(root(ticket.reference), []).append(ticket)
    month = {t.reference for t in _of_type(data, TicketType.COMPLAINT)}
    flags = []
    for tickets in chains.values():
        tickets.sort(key=lambda t: t.created_at)
        references = tuple(t.reference for t in tickets)
        if len(tickets) >= REPEATED_COMPLAINT and month.intersection(references):
            flags.append(Flag("repeated_complaint", tickets[0].description, references))
    return sorted(flags, key=lambda f: f.references)


def _repeated_repairs(data: MonthData) -> list[Flag]:
    """Three or more repairs of one household in one category within the month."""
    groups: dict[tuple[int, str], list[Ticket]] = {}
    for ticket in _of_type(data, TicketType.REPAIR):
        if ticket.household_id is not None:
            groups.setdefault((ticket.household_id, work_category(ticket)), []).append(ticket)
    flags = []
    for (household, category), tickets in groups.items():
        if len(tickets) >= REPEATED_REPAIR:
            tickets.sort(key=lambda t: t.created_at)
            flags.append(
                Flag(
                    "repeated_repair",
                    f"{data.rooms.get(household, str(household))}|{category}",
                    tuple(t.reference for t in tickets),
                )
            )
    return sorted(flags, key=lambda f: f.references)


def build_report(data: MonthData, site: SiteConfig) -> MonthlyReport:
    """Compute the month's report."""
    return MonthlyReport(
        month=data.month,
        tickets=len(data.tickets),
        by_type=tally((t.type.value for t in data.tickets), order=[kind.value for kind in TicketType]),
        complaints=_complaints(data, site),
        suggestions=_suggestions(data),
        repairs=_work(data, site, TicketType.REPAIR),
        emergencies=_work(data, site, TicketType.EMERGENCY),
        orders=_work(data, site, TicketType.SERVICE_ORDER),
        praise=len(_of_type(data, TicketType.PRAISE)),
        staff=_staff(data, site),
        flags=(
            *_repeated_complaints(data),
            *_repeated_repairs(data),
            *(
                Flag(
                    "failed_callback",
                    failed.reason,
                    tuple(r for r in (failed.reference, failed.complaint_reference) if r),
                )
                for failed in failed_callbacks(data.followups, data.as_of or data.month.end)
            ),
        ),
        callbacks=callback_lines(data.followups, site),
        surveys=data.surveys,
    )


__all__ = [
    "ComplaintSummary",
    "Flag",
    "MonthData",
    "MonthlyReport",
    "PromiseTally",
    "StaffLine",
    "SuggestionSummary",
    "WorkSummary",
    "build_report",
]
