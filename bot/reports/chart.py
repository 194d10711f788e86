"""The report's chart: one PNG with the month at a glance, labelled in the report's language.

Drawn with matplotlib's Agg backend (no display needed) on an explicit figure, with the CJK font put first
in the font family for this figure only, so nothing global is changed for other code in the process.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

from matplotlib import rc_context
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from bot.reports.font import cjk_font_name
from dialogs.reports.monthly import MonthlyReport
from dialogs.reports.tables import Labels

WIDTH_INCHES, HEIGHT_INCHES, DPI = 15.0, 9.0, 100
MAX_BARS = 8
_BLUE, _ORANGE, _GREY = "#2b6cb0", "#dd6b20", "#a0aec0"


@dataclass(frozen=True)
class RatePair:
    """A required rate and the one achieved (callbacks against the policy)."""

    label: str
    required: float
    achieved: float | None


def _bars(
    axes: Axes, title: str, items: Sequence[tuple[str, float]], labels: Labels, *, percent: bool = False
) -> None:
    axes.set_title(title, fontsize=13)
    if not items:
        axes.text(0.5, 0.5, labels.t("report.chart.none"), ha="center", va="center", transform=axes.transAxes)
        axes.set_axis_off()
        return
    names = [name for name, _ in items][::-1]
    values = [value * 100 if percent else value for _, value in items][::-1]
    bars = axes.barh(names, values, color=_BLUE)
    axes.bar_label(bars, labels=[f"{v:.1f}%" if percent else f"{v:g}" for v in values], padding=3)
    axes.spines[["top", "right"]].set_visible(False)
    if percent:
        axes.set_xlim(0, 110)
    else:
        axes.set_xlim(0, max(values) * 1.2 if max(values) else 1)
        axes.xaxis.set_major_locator(MaxNLocator(integer=True))  # counts: no 2.5 tickets


def _pairs(axes: Axes, title: str, pairs: Sequence[RatePair], labels: Labels) -> None:
    axes.set_title(title, fontsize=13)
    if not pairs:
        axes.text(0.5, 0.5, labels.t("report.chart.none"), ha="center", va="center", transform=axes.transAxes)
        axes.set_axis_off()
        return
    positions = range(len(pairs))
    width = 0.38
    required = [pair.required * 100 for pair in pairs]
    achieved = [(pair.achieved or 0.0) * 100 for pair in pairs]
    first = axes.bar(
        [p - width / 2 for p in positions],
        required,
        width,
        color=_GREY,
        label=labels.t("report.chart.required"),
    )
    second = axes.bar(
        [p + width / 2 for p in positions],
        achieved,
        width,
        color=_ORANGE,
        label=labels.t("report.chart.achieved"),
    )
    axes.bar_label(first, labels=[f"{v:.0f}%" for v in required], padding=2, fontsize=9)
    axes.bar_label(second, labels=[f"{v:.0f}%" for v in achieved], padding=2, fontsize=9)
    axes.set_xticks(list(positions), [pair.label for pair in pairs])
    axes.set_ylim(0, 115)
    axes.legend(loc="upper right", fontsize=9)
    axes.spines[["top", "right"]].set_visible(False)


def callback_pairs(report: MonthlyReport, labels: Labels) -> list[RatePair]:
    """Each callback kind with records this month: the policy's rate and the rate achieved."""
    return [
        RatePair(labels.t(f"report.callback.{line.kind}"), line.required_rate, line.achieved_rate)
        for line in report.callbacks
        if line.handled
    ]


def chart_texts(report: MonthlyReport, labels: Labels) -> list[str]:
    """Every text the chart draws (a test checks the font has glyphs for all of them)."""
    texts = [labels.t("report.title", site=labels.site.name.get(labels.lang), month=report.month.label)]
    texts += [
        labels.t(f"report.chart.{key}")
        for key in (
            "complaints_by_class",
            "complaint_causes",
            "repairs_by_category",
            "work_rates",
            "staff",
            "callbacks",
            "required",
            "achieved",
            "none",
        )
    ]
    texts += [labels.complaint_class(key) for key, _ in report.complaints.by_class]
    texts += [labels.cause(key) for key, _ in report.complaints.by_cause]
    texts += [labels.category(report.repairs, key) for key, _ in report.repairs.by_category]
    texts += [line.name for line in report.staff]
    texts += [pair.label for pair in callback_pairs(report, labels)]
    return texts


def render_chart(report: MonthlyReport, labels: Labels, path: Path) -> Path:
    """Draw the month's chart to `path` (PNG) and return it."""
    c, r = report.complaints, report.repairs
    with rc_context({"font.family": [cjk_font_name(), "DejaVu Sans"], "axes.unicode_minus": False}):
        figure = Figure(figsize=(WIDTH_INCHES, HEIGHT_INCHES), dpi=DPI, layout="constrained")
        grid = figure.subplots(2, 3)
        figure.suptitle(
            labels.t("report.title", site=labels.site.name.get(labels.lang), month=report.month.label),
            fontsize=17,
        )
        _bars(
            grid[0][0],
            labels.t("report.chart.complaints_by_class"),
            [(labels.complaint_class(key), count) for key, count in c.by_class],
            labels,
        )
        _bars(
            grid[0][1],
            labels.t("report.chart.complaint_causes"),
            [(labels.cause(key), count) for key, count in c.by_cause[:MAX_BARS]],
            labels,
        )
        _bars(
            grid[0][2],
            labels.t("report.chart.repairs_by_category"),
            [(labels.category(r, key), count) for key, count in r.by_category[:MAX_BARS]],
            labels,
        )
        rates = [
            (labels.t("report.work.same_day"), r.same_day_rate),
            (labels.t("report.work.within_3_days"), r.within_3_days_rate),
            (labels.t("report.work.reopened"), r.reopen_rate),
            (labels.t("report.overview.complaint_feedback"), c.feedback.compliance),
        ]
        _bars(
            grid[1][0],
            labels.t("report.chart.work_rates"),
            [(name, value) for name, value in rates if value is not None],
            labels,
            percent=True,
        )
        _pairs(grid[1][1], labels.t("report.chart.callbacks"), callback_pairs(report, labels), labels)
        busiest = sorted((line for line in report.staff if line.handled), key=lambda line: -line.handled)
        _bars(
            grid[1][2],
            labels.t("report.chart.staff"),
            [(line.name, line.handled) for line in busiest[:MAX_BARS]],
            labels,
        )
        path.parent.mkdir(parents=True, exist_ok=True)
        figure.savefig(path, format="png", facecolor="white")
    return path
