"""The monthly report as localised tables and a summary text, ready for any renderer.

A renderer (spreadsheet, Markdown, HTML, a Telegram message) only lays out what this module hands it, so
every format shows the same rows with the same headers, in the site's language. Rates are fractions
(0..1) in columns marked as percentages; a figure that cannot be computed (no tickets) is None.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from dialogs.domain import TicketType
from dialogs.i18n import Catalog
from dialogs.reports.monthly import MonthlyReport, PromiseTally, Tally, WorkSummary
from dialogs.site import SiteConfig

Cell = str | int | float | None


@dataclass(frozen=True)
class Table:
    """One sheet of the spreadsheet: a title, a header row and rows; `percent` lists the rate columns."""

    key: str
    title: str
    headers: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]
    percent: frozenset[int] = frozenset()


@dataclass(frozen=True)
class ReportDocument:
    """The report in one language: its title, the summary message and the tables."""

    title: str
    summary: str
    tables: tuple[Table, ...]


def rate(part: int, whole: int) -> float | None:
    """part / whole, or None when there is nothing to divide by."""
    return part / whole if whole else None


class Labels:
    """Names of the report's keys (classes, causes, queues, categories) in one language."""

    def __init__(self, site: SiteConfig, catalog: Catalog, lang: str) -> None:
        self.site, self.catalog, self.lang = site, catalog, lang

    def t(self, key: str, **params: Any) -> str:
        """A catalogue text in the report's language."""
        return self.catalog.t(self.lang, key, **params)

    def complaint_class(self, key: str) -> str:
        """一类 / 二类 / 三类."""
        return self.t(f"staff.class.{key}")

    def cause(self, key: str) -> str:
        """A complaint cause."""
        return self.t(f"report.cause.{key}")

    def channel(self, key: str) -> str:
        """Where a ticket came in."""
        return self.t(f"report.channel.{key}") if key in ("telegram", "console") else key

    def building(self, key: str) -> str:
        """A building, or "unknown"."""
        return self.t("report.building", building=key) if key else self.t("report.unknown")

    def queue(self, key: str) -> str:
        """A staff queue's name."""
        entry = self.site.queues.get(key)
        return entry.name.get(self.lang) if entry else key

    def category(self, summary: WorkSummary, key: str) -> str:
        """A repair category, service item or emergency hazard."""
        if summary.type.value == "R" and key in self.site.repair_categories:
            return self.site.repair_categories[key].label.get(self.lang)
        if summary.type.value == "O" and key in self.site.service_catalogue:
            return self.site.service_catalogue[key].name.get(self.lang)
        if summary.type.value == "E":
            return self.t(f"staff.hazard.{key}")
        return key

    def ticket_type(self, letter: str) -> str:
        """A ticket type by its reference letter."""
        return self.t(f"ticket_type.{TicketType(letter).name.lower()}")

    def role(self, key: str) -> str:
        """A staff role."""
        return self.t(f"report.role.{key}")

    def percent(self, value: float | None) -> str:
        """A rate for text: 83.3% or a dash."""
        return "—" if value is None else f"{value * 100:.1f}%"

    def number(self, value: float | None, digits: int = 1) -> str:
        """A measured figure for text, or a dash."""
        return "—" if value is None else f"{value:.{digits}f}"


def _tally_rows(
    dimension: str, counts: Tally, name: Callable[[str], str], total: int
) -> list[tuple[Cell, ...]]:
    return [(dimension, name(key), count, rate(count, total)) for key, count in counts]


def _promise_rows(labels: Labels, group: str, what: str, tally: PromiseTally) -> list[tuple[Cell, ...]]:
    return [
        (group, labels.t("report.promise.kept", what=what), tally.kept, tally.compliance),
        (group, labels.t("report.promise.late", what=what), tally.late, rate(tally.late, tally.decided)),
        (
            group,
            labels.t("report.promise.overdue", what=what),
            tally.overdue,
            rate(tally.overdue, tally.decided),
        ),
        (group, labels.t("report.promise.running", what=what), tally.running, None),
    ]


def overview_table(report: MonthlyReport, labels: Labels) -> Table:
    """Key figures of the month."""
    c, s, r = report.complaints, report.suggestions, report.repairs
    rows: list[tuple[Cell, ...]] = [
        (labels.t("report.overview.tickets"), report.tickets, None),
        *((labels.ticket_type(letter), count, None) for letter, count in report.by_type),
        (labels.t("report.overview.complaint_feedback"), c.feedback.kept, c.feedback.compliance),
        (labels.t("report.overview.suggestions_adopted"), s.adopted, rate(s.adopted, s.received)),
        (labels.t("report.overview.repairs_same_day"), r.same_day, r.same_day_rate),
        (labels.t("report.overview.repairs_3_days"), r.within_3_days, r.within_3_days_rate),
        (labels.t("report.overview.repairs_reopened"), r.reopened, r.reopen_rate),
        (labels.t("report.overview.flags"), len(report.flags), None),
    ]
    return Table(
        "overview",
        labels.t("report.sheet.overview"),
        (labels.t("report.col.metric"), labels.t("report.col.count"), labels.t("report.col.rate")),
        tuple(rows),
        frozenset({2}),
    )


def complaints_table(report: MonthlyReport, labels: Labels) -> Table:
    """投诉情况月度汇总单: counts by class, cause, building and channel; promises; times; top causes."""
    c = report.complaints
    rows: list[tuple[Cell, ...]] = [(labels.t("report.complaints.total"), "", c.total, None)]
    rows += _tally_rows(labels.t("report.dim.class"), c.by_class, labels.complaint_class, c.total)
    rows += _tally_rows(labels.t("report.dim.cause"), c.by_cause, labels.cause, c.total)
    rows += _tally_rows(labels.t("report.dim.building"), c.by_building, labels.building, c.total)
    rows += _tally_rows(labels.t("report.dim.channel"), c.by_channel, labels.channel, c.total)
    group = labels.t("report.dim.promises")
    accept = labels.t("report.promise.accept", minutes=labels.site.promises.accept_minutes)
    rows += _promise_rows(labels, group, accept, c.accept)
    rows += _promise_rows(
        labels,
        group,
        labels.t("report.promise.feedback", hours=labels.site.promises.complaint_feedback_hours),
        c.feedback,
    )
    times = labels.t("report.dim.times")
    rows.append((times, labels.t("report.complaints.median_feedback_hours"), c.median_feedback_hours, None))
    rows.append(
        (times, labels.t("report.complaints.median_resolution_hours"), c.median_resolution_hours, None)
    )
    rows.append((times, labels.t("report.complaints.resolved"), c.resolved, rate(c.resolved, c.total)))
    top = labels.t("report.dim.top_causes")
    for index, line in enumerate(c.top_causes, start=1):
        item = labels.t("report.complaints.top_line", rank=index, cause=labels.cause(line.cause))
        rows.append((top, f"{item} {', '.join(line.references)}", line.count, rate(line.count, c.total)))
    return Table(
        "complaints",
        labels.t("report.sheet.complaints"),
        (
            labels.t("report.col.dimension"),
            labels.t("report.col.item"),
            labels.t("report.col.count"),
            labels.t("report.col.share"),
        ),
        tuple(rows),
        frozenset({3}),
    )


def suggestions_table(report: MonthlyReport, labels: Labels) -> Table:
    """建议情况月度表: every suggestion with its outcome and, when not adopted, the reason."""
    zone = labels.site.zone
    date_format = labels.t("format.date")
    rows = tuple(
        (
            line.reference,
            line.created_at.astimezone(zone).strftime(date_format),
            line.text,
            labels.t(f"report.outcome.{line.outcome}"),
            line.reason,
        )
        for line in report.suggestions.lines
    )
    return Table(
        "suggestions",
        labels.t("report.sheet.suggestions"),
        (
            labels.t("report.col.reference"),
            labels.t("report.col.date"),
            labels.t("report.col.content"),
            labels.t("report.col.outcome"),
            labels.t("report.col.reason"),
        ),
        rows,
    )


def work_table(report: MonthlyReport, labels: Labels) -> Table:
    """Repairs, emergencies and orders: counts by category and queue, completion rates, reopen rate."""
    rows: list[tuple[Cell, ...]] = []
    for summary in (report.repairs, report.emergencies, report.orders):
        kind = labels.ticket_type(summary.type.value)
        rows.append((kind, labels.t("report.work.total"), "", summary.total, None))
        dim = labels.t("report.dim.category")
        rows += [
            (kind, dim, labels.category(summary, key), count, rate(count, summary.total))
            for key, count in summary.by_category
        ]
        dim = labels.t("report.dim.queue")
        rows += [
            (kind, dim, labels.queue(key), count, rate(count, summary.total))
            for key, count in summary.by_queue
        ]
        dim = labels.t("report.dim.completion")
        rows += [
            (
                kind,
                dim,
                labels.t("report.work.completed"),
                summary.completed,
                rate(summary.completed, summary.total),
            ),
            (kind, dim, labels.t("report.work.same_day"), summary.same_day, summary.same_day_rate),
            (
                kind,
                dim,
                labels.t("report.work.within_3_days"),
                summary.within_3_days,
                summary.within_3_days_rate,
            ),
            (kind, dim, labels.t("report.work.reopened"), summary.reopened, summary.reopen_rate),
            (
                kind,
                dim,
                labels.t("report.work.promise_kept"),
                summary.completion.kept,
                summary.completion.compliance,
            ),
        ]
    return Table(
        "work",
        labels.t("report.sheet.work"),
        (
            labels.t("report.col.type"),
            labels.t("report.col.dimension"),
            labels.t("report.col.item"),
            labels.t("report.col.count"),
            labels.t("report.col.share"),
        ),
        tuple(rows),
        frozenset({4}),
    )


def flags_table(report: MonthlyReport, labels: Labels) -> Table:
    """What the manual asks to flag, each with its tickets."""
    rows: list[tuple[Cell, ...]] = []
    for flag in report.flags:
        subject = flag.subject
        if flag.kind == "repeated_repair":
            room, _, category = subject.partition("|")
            subject = f"{room} {labels.category(report.repairs, category)}"
        elif flag.kind == "failed_callback":
            subject = labels.t(f"report.callback_reason.{subject}")
        rows.append(
            (labels.t(f"report.flag.{flag.kind}"), subject, len(flag.references), ", ".join(flag.references))
        )
    return Table(
        "flags",
        labels.t("report.sheet.flags"),
        (
            labels.t("report.col.flag"),
            labels.t("report.col.subject"),
            labels.t("report.col.count"),
            labels.t("report.col.tickets"),
        ),
        tuple(rows),
    )


def staff_table(report: MonthlyReport, labels: Labels) -> Table:
    """Per staff member: tickets handled, median times, promise compliance, praise."""
    rows = tuple(
        (
            line.name,
            labels.role(line.role),
            line.handled,
            line.median_accept_minutes,
            line.median_resolution_hours,
            line.promises.decided,
            line.promises.compliance,
            line.praise,
        )
        for line in report.staff
    )
    return Table(
        "staff",
        labels.t("report.sheet.staff"),
        (
            labels.t("report.col.name"),
            labels.t("report.col.role"),
            labels.t("report.col.handled"),
            labels.t("report.col.median_accept_minutes"),
            labels.t("report.col.median_resolution_hours"),
            labels.t("report.col.promises"),
            labels.t("report.col.compliance"),
            labels.t("report.col.praise"),
        ),
        rows,
        frozenset({6}),
    )


def callbacks_table(report: MonthlyReport, labels: Labels) -> Table:
    """Callbacks per kind: handled, due, done, on time, achieved rate against the policy, satisfaction."""
    rows = tuple(
        (
            labels.t(f"report.callback.{line.kind}"),
            line.required_rate,
            line.handled,
            line.due,
            line.done,
            line.on_time,
            line.achieved_rate,
            line.satisfaction,
        )
        for line in report.callbacks
    )
    return Table(
        "callbacks",
        labels.t("report.sheet.callbacks"),
        (
            labels.t("report.col.kind"),
            labels.t("report.col.required_rate"),
            labels.t("report.col.handled_tickets"),
            labels.t("report.col.due"),
            labels.t("report.col.done"),
            labels.t("report.col.on_time"),
            labels.t("report.col.achieved_rate"),
            labels.t("report.col.satisfaction"),
        ),
        rows,
        frozenset({1, 6, 7}),
    )


def surveys_table(report: MonthlyReport, labels: Labels) -> Table:
    """Each survey campaign of the month: return rate, overall and per-dimension satisfaction, the change."""
    rows: list[tuple[Cell, ...]] = []
    dimensions = labels.site.survey.dimensions
    for line in report.surveys:
        name, results, change = line.campaign.name, line.results, line.change
        points = change.return_rate.points if change else None
        rows.append((name, labels.t("report.survey.returned"), results.returned, results.return_rate, points))
        points = change.overall.points if change else None
        rows.append((name, labels.t("report.survey.overall"), results.answers, results.overall_rate, points))
        before = dict(change.dimensions) if change else {}
        for dimension in results.dimensions:
            label = dimensions.get(dimension.dimension)
            shown = label.get(labels.lang) if label is not None else dimension.dimension
            moved = before.get(dimension.dimension)
            rows.append((name, shown, dimension.answers, dimension.rate, moved.points if moved else None))
    return Table(
        "surveys",
        labels.t("report.sheet.surveys"),
        (
            labels.t("report.col.campaign"),
            labels.t("report.col.item"),
            labels.t("report.col.count"),
            labels.t("report.col.rate"),
            labels.t("report.col.change_points"),
        ),
        tuple(rows),
        frozenset({3}),
    )


def summary_text(report: MonthlyReport, labels: Labels) -> str:
    """The message managers read first in Telegram."""
    c, s, r, o = report.complaints, report.suggestions, report.repairs, report.orders
    by_class = labels.t("digest.separator").join(
        f"{labels.complaint_class(key)} {count}" for key, count in c.by_class
    )
    return labels.t(
        "report.summary",
        site=labels.site.name.get(labels.lang),
        month=report.month.label,
        tickets=report.tickets,
        complaints=c.total,
        by_class=by_class,
        feedback=labels.percent(c.feedback.compliance),
        suggestions=s.received,
        adopted=s.adopted,
        rejected=s.rejected,
        repairs=r.total,
        same_day=labels.percent(r.same_day_rate),
        three_days=labels.percent(r.within_3_days_rate),
        reopen=labels.percent(r.reopen_rate),
        orders=o.total,
        callbacks=labels.t("digest.separator").join(
            labels.t(
                "report.summary_callback",
                kind=labels.t(f"report.callback.{line.kind}"),
                achieved=labels.percent(line.achieved_rate),
                required=labels.percent(line.required_rate),
            )
            for line in report.callbacks
            if line.handled
        )
        or labels.t("report.chart.none"),
        praise=report.praise,
        flags=len(report.flags),
    )


def document(
    report: MonthlyReport,
    site: SiteConfig,
    catalog: Catalog,
    lang: str,
    extra: Sequence[Table] = (),
) -> ReportDocument:
    """The whole report in `lang`: overview, complaints, suggestions, work, callbacks, flags, staff, surveys,
    then `extra`."""
    labels = Labels(site, catalog, lang)
    tables = (
        overview_table(report, labels),
        complaints_table(report, labels),
        suggestions_table(report, labels),
        work_table(report, labels),
        callbacks_table(report, labels),
        flags_table(report, labels),
        staff_table(report, labels),
        surveys_table(report, labels),
        *extra,
    )
    title = labels.t("report.title", site=site.name.get(lang), month=report.month.label)
    return ReportDocument(title=title, summary=summary_text(report, labels), tables=tables)
