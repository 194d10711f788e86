"""Every figure of the monthly report, checked against values computed here from the scenario's own record
of what it did (`Story`), not from ticket events: a wrong reading of the events shows as a mismatch.

The expectations use the manual's plain rules directly — accepted within 30 minutes (all work happens in
office hours, so that is wall time), complaint feedback within 24 hours, small repairs the same day and
larger ones within 3 days, a service item within its lead time — and only what happened before the month
closed.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta

import pytest

from dialogs.domain import StaffMember, TicketType
from dialogs.followup.records import FollowUp, FollowUpKind, FollowUpStatus
from dialogs.reports.monthly import PromiseTally, WorkSummary
from tests.reports.conftest import Month
from tests.reports.month import Story

Outcome = str  # kept | late | overdue | running


def stories(month: Month, ticket_type: TicketType | None = None) -> list[Story]:
    """The month's stories (received in the month), of one type or all."""
    return [
        story
        for story in month.writer.stories.values()
        if month.month.start <= story.created < month.month.end
        and (ticket_type is None or story.ticket.type is ticket_type)
    ]


def before_end(
    month: Month, entry: tuple[datetime, StaffMember] | None
) -> tuple[datetime, StaffMember] | None:
    """An entry only if it happened before the month closed."""
    return entry if entry is not None and entry[0] < month.month.end else None


def judged(month: Month, done: datetime | None, due: datetime) -> Outcome:
    """A promise's outcome at the end of the month."""
    end = month.month.end
    if done is not None and done < end:
        return "kept" if done <= due else "late"
    return "overdue" if due < end else "running"


def tally(outcomes: list[Outcome]) -> PromiseTally:
    counts = Counter(outcomes)
    return PromiseTally(counts["kept"], counts["late"], counts["overdue"], counts["running"])


def local_day_end(month: Month, at: datetime) -> datetime:
    local = at.astimezone(month.site.zone)
    return local.replace(hour=23, minute=59, second=0, microsecond=0)


def accept_outcome(month: Month, story: Story) -> Outcome | None:
    ticket = story.ticket
    if ticket.type in (TicketType.SUGGESTION, TicketType.PRAISE):
        return None
    minutes = 10 if ticket.type is TicketType.EMERGENCY else 30
    taken = story.taken()
    return judged(month, taken[0] if taken else None, story.created + timedelta(minutes=minutes))


def feedback_outcome(month: Month, story: Story) -> Outcome:
    done = story.done()
    moments = [m for m in (story.feedback_at, done[0] if done else None) if m is not None]
    return judged(month, min(moments) if moments else None, story.created + timedelta(hours=24))


def completion_outcome(month: Month, story: Story) -> Outcome | None:
    ticket = story.ticket
    done = story.done()
    when = done[0] if done else None
    if ticket.type is TicketType.REPAIR:
        if ticket.category == "structure":  # the default site's one large category: 3 days
            return judged(month, when, story.created + timedelta(days=3))
        return judged(month, when, local_day_end(month, story.created))
    if ticket.type is TicketType.SERVICE_ORDER:
        hours = month.site.service_catalogue[ticket.category or ""].lead_time_hours
        return judged(month, when, story.created + timedelta(hours=hours)) if hours else None
    return None


def outcomes_of(month: Month, story: Story) -> list[Outcome]:
    found = [accept_outcome(month, story)]
    if story.ticket.type is TicketType.COMPLAINT:
        found.append(feedback_outcome(month, story))
    found.append(completion_outcome(month, story))
    return [outcome for outcome in found if outcome is not None]


def hours(delta: timedelta) -> float:
    return delta.total_seconds() / 3600


def counted(values: list[str]) -> dict[str, int]:
    return dict(Counter(values))


# --- the tests ---------------------------------------------------------------------------------------------


def test_the_scenario_is_a_real_month(october: Month) -> None:
    by_type = Counter(story.ticket.type for story in stories(october))
    assert october.report.tickets == sum(by_type.values()) > 80
    assert dict(october.report.by_type) == {t.value: by_type.get(t, 0) for t in TicketType}
    assert october.report.praise == by_type[TicketType.PRAISE]


def test_complaint_counts(october: Month) -> None:
    complaints = stories(october, TicketType.COMPLAINT)
    summary = october.report.complaints
    buildings = {h.id: h.building for h in october.writer.households.values()}
    assert summary.total == len(complaints)
    assert dict(summary.by_class) == {
        "service": 0,
        "quality": 0,
        "external": 0,
        **counted([s.ticket.details["complaint_class"] for s in complaints]),
    }
    assert dict(summary.by_cause) == counted([s.cause for s in complaints])
    assert dict(summary.by_building) == counted([buildings[s.ticket.household_id] for s in complaints])
    assert dict(summary.by_channel) == counted([s.ticket.channel for s in complaints])
    assert summary.by_cause[0][1] >= summary.by_cause[-1][1]  # largest first


def test_complaint_promises_and_times(october: Month) -> None:
    complaints = stories(october, TicketType.COMPLAINT)
    summary = october.report.complaints
    assert summary.accept == tally([o for s in complaints if (o := accept_outcome(october, s)) is not None])
    assert summary.feedback == tally([feedback_outcome(october, s) for s in complaints])
    # overdue: the two left alone and the one answered only after the month; running: the last evening's
    assert (summary.feedback.overdue, summary.feedback.running) == (3, 1)
    feedback_hours = []
    for story in complaints:
        done = before_end(october, story.done())
        moments = [
            m
            for m in (story.feedback_at, done[0] if done else None)
            if m is not None and m < october.month.end
        ]
        if moments:
            feedback_hours.append(hours(min(moments) - story.created))
    assert summary.median_feedback_hours == pytest.approx(statistics.median(feedback_hours))
    resolved = [hours(done[0] - s.created) for s in complaints if (done := before_end(october, s.done()))]
    assert summary.resolved == len(resolved)
    assert summary.median_resolution_hours == pytest.approx(statistics.median(resolved))


def test_top_causes_list_their_tickets(october: Month) -> None:
    complaints = stories(october, TicketType.COMPLAINT)
    causes = Counter(s.cause for s in complaints)
    top = october.report.complaints.top_causes
    assert len(top) == 3
    for line in top:
        assert line.count == causes[line.cause]
        assert set(line.references) == {s.ticket.reference for s in complaints if s.cause == line.cause}
    assert [line.count for line in top] == sorted(causes.values(), reverse=True)[:3]


def test_suggestion_table(october: Month) -> None:
    suggestions = stories(october, TicketType.SUGGESTION)
    table = october.report.suggestions
    outcomes = Counter(s.outcome or "pending" for s in suggestions)
    assert (table.received, table.adopted, table.rejected, table.pending) == (
        len(suggestions),
        outcomes["adopted"],
        outcomes["rejected"],
        outcomes["pending"],
    )
    assert table.rejected == 2 and table.pending == 1
    by_reference = {s.ticket.reference: s for s in suggestions}
    for line in table.lines:
        story = by_reference[line.reference]
        assert line.outcome == (story.outcome or "pending")
        assert line.reason == story.reason
        assert line.text == story.ticket.description
    rejected = [line for line in table.lines if line.outcome == "rejected"]
    assert all(line.reason for line in rejected)


@pytest.mark.parametrize(
    ("ticket_type", "pick"),
    [
        (TicketType.REPAIR, lambda r: r.repairs),
        (TicketType.EMERGENCY, lambda r: r.emergencies),
        (TicketType.SERVICE_ORDER, lambda r: r.orders),
    ],
)
def test_work_figures(october: Month, ticket_type: TicketType, pick: Callable[..., WorkSummary]) -> None:
    work = stories(october, ticket_type)
    summary = pick(october.report)
    zone = october.site.zone
    assert summary.total == len(work)

    def category(story: Story) -> str:
        if ticket_type is TicketType.EMERGENCY:
            return story.ticket.details["hazard"]
        return str(story.ticket.category)

    assert dict(summary.by_category) == counted([category(s) for s in work])
    assert dict(summary.by_queue) == counted([str(s.ticket.queue) for s in work])
    done = {s.ticket.reference: d[0] for s in work if (d := before_end(october, s.done()))}
    created = {s.ticket.reference: s.created for s in work}
    assert summary.completed == len(done)
    same_day = [
        r for r, at in done.items() if at.astimezone(zone).date() == created[r].astimezone(zone).date()
    ]
    within_3 = [r for r, at in done.items() if at - created[r] <= timedelta(days=3)]
    reopened = [s for s in work if s.reopened_at is not None and s.reopened_at < october.month.end]
    assert (summary.same_day, summary.within_3_days, summary.reopened) == (
        len(same_day),
        len(within_3),
        len(reopened),
    )
    if work:
        assert summary.same_day_rate == pytest.approx(len(same_day) / len(work))
        assert summary.within_3_days_rate == pytest.approx(len(within_3) / len(work))
    if done:
        assert summary.reopen_rate == pytest.approx(len(reopened) / len(done))
    expected = tally([o for s in work if (o := completion_outcome(october, s)) is not None])
    assert summary.completion == expected


def test_repairs_have_every_kind_of_outcome(october: Month) -> None:
    repairs = october.report.repairs
    assert repairs.total >= 40
    assert 0 < repairs.same_day < repairs.within_3_days < repairs.completed < repairs.total
    assert repairs.reopened > 0
    assert repairs.completion.kept and repairs.completion.late and repairs.completion.overdue


def test_staff_lines(october: Month) -> None:
    month_stories = stories(october)
    lines = {line.staff_id: line for line in october.report.staff}
    assert len(lines) == len(october.writer.staff)
    for member in october.writer.staff.values():
        assert member.id is not None
        line = lines[member.id]
        mine = [s for s in month_stories if member.id in actors_before_end(october, s)]
        assert line.handled == len(mine), member.name
        accepts = [
            (taken[0] - s.created).total_seconds() / 60
            for s in month_stories
            if (taken := before_end(october, s.taken())) and taken[1].id == member.id
        ]
        resolutions = [
            hours(done[0] - s.created)
            for s in month_stories
            if (done := before_end(october, s.done())) and done[1].id == member.id
        ]
        assert line.median_accept_minutes == (pytest.approx(statistics.median(accepts)) if accepts else None)
        assert line.median_resolution_hours == (
            pytest.approx(statistics.median(resolutions)) if resolutions else None
        )
        assigned = [s for s in month_stories if s.ticket.assignee_id == member.id]
        assert line.promises == tally([o for s in assigned for o in outcomes_of(october, s)]), member.name
        praise = [
            s
            for s in month_stories
            if s.ticket.type is TicketType.PRAISE
            and s.ticket.details.get("staff_telegram_id") == str(member.telegram_id)
        ]
        assert line.praise == len(praise)
    assert lines[october.writer.member(603).id or 0].praise == 1  # 王建国 was named
    assert [line.handled for line in october.report.staff] == sorted(
        (line.handled for line in october.report.staff), reverse=True
    )


def actors_before_end(month: Month, story: Story) -> set[int]:
    entries = (story.accepted, story.resolved, story.closed)
    return {
        entry[1].id for entry in entries if entry is not None and entry[0] < month.month.end and entry[1].id
    }


def test_flags_repeated_complaints_and_repairs(october: Month) -> None:
    flags = october.report.flags
    complaints = [f for f in flags if f.kind == "repeated_complaint"]
    all_complaints = [s for s in october.writer.stories.values() if s.ticket.type is TicketType.COMPLAINT]
    by_reference = {s.ticket.reference: s for s in all_complaints}
    expected_chains = []
    for story in all_complaints:
        linked = story.ticket.details.get("linked_to")
        if linked:
            pair = sorted([by_reference[linked], story], key=lambda s: s.created)
            expected_chains.append(tuple(s.ticket.reference for s in pair))
    assert sorted(f.references for f in complaints) == sorted(expected_chains)
    assert any(
        by_reference[f.references[0]].created < october.month.start for f in complaints
    )  # across months

    groups: dict[tuple[int | None, str | None], list[str]] = {}
    for story in stories(october, TicketType.REPAIR):
        groups.setdefault((story.ticket.household_id, story.ticket.category), []).append(
            story.ticket.reference
        )
    expected_repairs = sorted(tuple(sorted(refs)) for refs in groups.values() if len(refs) >= 3)
    repairs = [f for f in flags if f.kind == "repeated_repair"]
    assert sorted(f.references for f in repairs) == expected_repairs
    assert any(f.subject == "5栋2单元601|plumbing" for f in repairs)


def callback_done_at(followup: FollowUp) -> datetime | None:
    if followup.status is FollowUpStatus.ANSWERED:
        return followup.answered_at
    if followup.status is FollowUpStatus.DONE and followup.phone_result in ("satisfied", "unsatisfied"):
        return followup.phone_at
    return None


def test_callbacks_against_the_policy(october: Month) -> None:
    lines = {line.kind: line for line in october.report.callbacks}
    for kind in (FollowUpKind.COMPLAINT, FollowUpKind.REPAIR):
        own = [f for f in october.followups if f.kind is kind]
        line = lines[kind.value]
        assert line.required_rate == october.site.callbacks[kind.value].rate
        assert line.handled == len(own)
        assert line.due == sum(1 for f in own if f.status is not FollowUpStatus.NOT_SAMPLED)
        made = [(f, callback_done_at(f)) for f in own]
        assert line.done == sum(1 for _, at in made if at)
        assert line.on_time == sum(1 for f, at in made if at and at <= f.window_end)
        verdicts = [
            (f.rating >= 4 and f.solved is not False)
            if f.rating is not None
            else f.phone_result == "satisfied"
            for f in own
            if f.rating is not None or f.phone_result in ("satisfied", "unsatisfied")
        ]
        assert (line.rated, line.satisfied) == (len(verdicts), sum(verdicts))
        assert line.achieved_rate == pytest.approx(line.done / len(own))
    achieved = lines["complaint"].achieved_rate
    assert achieved is not None and achieved < 1.0 <= lines["complaint"].required_rate  # short of the 100 %
    assert lines["maintenance_works"].handled == 0  # policy shown, nothing to call back


def test_failed_callbacks_are_flagged_with_their_tickets(october: Month) -> None:
    end = october.month.end
    expected = set()
    for f in october.followups:
        if f.status is FollowUpStatus.NOT_SAMPLED:
            continue
        if f.phone_result == "unreached":
            expected.add((f.reference, "unreached"))
        elif f.rating is not None and (f.rating <= 3 or f.solved is False):
            expected.add((f.reference, "unsatisfied"))
        elif callback_done_at(f) is None and f.window_end < end:
            expected.add((f.reference, "overdue"))
    flagged = {(f.references[0], f.subject) for f in october.report.flags if f.kind == "failed_callback"}
    assert flagged == expected
    assert {reason for _, reason in expected} == {"unreached", "unsatisfied", "overdue"}


def test_survey_section(october: Month) -> None:
    before, current = october.surveys
    assert [line.campaign.id for line in october.report.surveys] == [current.campaign.id]  # September closed
    line = october.report.surveys[0]
    assert (line.results.sent, line.results.returned) == (current.sent, current.returned)
    assert line.results.return_rate == pytest.approx(current.returned / current.sent)
    scores = [score for values in current.scores.values() for score in values]
    assert line.results.overall_rate == pytest.approx(sum(1 for s in scores if s >= 4) / len(scores))
    for dimension in line.results.dimensions:
        values = current.scores[dimension.dimension]
        assert dimension.rate == pytest.approx(sum(1 for s in values if s >= 4) / len(values))
    old = [score for values in before.scores.values() for score in values]
    assert line.change is not None
    assert line.change.overall.points == pytest.approx(
        (sum(1 for s in scores if s >= 4) / len(scores) - sum(1 for s in old if s >= 4) / len(old)) * 100
    )
    assert line.change.return_rate.points == pytest.approx(
        (current.returned / current.sent - before.returned / before.sent) * 100
    )


def test_a_complaint_from_a_callback_on_an_earlier_repair_is_not_a_repeated_complaint() -> None:
    """An unsatisfactory callback opens a complaint linked to the repair it was about: no repeat flag."""
    from dialogs.domain import Ticket, TicketStatus
    from dialogs.reports.monthly import MonthData, build_report
    from dialogs.reports.period import ReportMonth
    from dialogs.site import load_site

    site = load_site(None)
    month = ReportMonth.parse("2026-10", site)
    repair = Ticket(
        id=1,
        reference="R2609300001",
        type=TicketType.REPAIR,
        status=TicketStatus.OPEN,
        resident_id=1,
        description="水龙头漏水",
        created_at=month.start - timedelta(days=2),
        updated_at=month.start + timedelta(days=2),
    )
    complaint = Ticket(
        id=2,
        reference="C2610030001",
        type=TicketType.COMPLAINT,
        status=TicketStatus.OPEN,
        resident_id=1,
        description="回访不满意",
        created_at=month.start + timedelta(days=2),
        updated_at=month.start + timedelta(days=2),
        details={"complaint_class": "service", "linked_to": repair.reference},
    )
    data = MonthData(
        month=month, tickets=(complaint,), events={}, buildings={}, rooms={}, staff=(), earlier=(repair,)
    )
    assert [f for f in build_report(data, site).flags if f.kind == "repeated_complaint"] == []
