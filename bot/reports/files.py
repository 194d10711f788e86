"""Writing a report to files: the formats the command line offers and what the Telegram delivery sends.

Files go under the var directory (`reports/YYYY-MM/`), named by month, so a later run for the same month
replaces them and an outbox row that names one finds it until the next run. A report quotes residents'
words (suggestions, complaint subjects), so the delivery keeps the stored copies no longer than the site's
retention period: each run removes the folders of months that ended before it.
"""

from __future__ import annotations

import re
import shutil
from datetime import timedelta
from enum import StrEnum
from pathlib import Path

from bot.reports.text import to_html, to_markdown
from dialogs.i18n import Catalog
from dialogs.messages import FileKind, OutgoingFile
from dialogs.reports.delivery import RenderedReport
from dialogs.reports.monthly import MonthlyReport
from dialogs.reports.period import ReportMonth
from dialogs.reports.tables import Labels, document
from dialogs.site import SiteConfig


class ReportFormat(StrEnum):
    """What `frontdesk report monthly --format` writes."""

    XLSX = "xlsx"
    MD = "md"
    HTML = "html"


def chart_path_for(out: Path) -> Path:
    """The chart written beside a report file (`report.xlsx` -> `report.png`)."""
    return out.with_suffix(".png")


def write_report(
    report: MonthlyReport, site: SiteConfig, catalog: Catalog, lang: str, out: Path, fmt: ReportFormat
) -> list[Path]:
    """Write the report as `fmt` to `out`, with its chart beside it; returns the files written."""
    # matplotlib and openpyxl load here, not when the CLI or the app is imported (about a second).
    from bot.reports.chart import render_chart
    from bot.reports.xlsx import write_xlsx

    labels = Labels(site, catalog, lang)
    doc = document(report, site, catalog, lang)
    chart = render_chart(report, labels, chart_path_for(out))
    out.parent.mkdir(parents=True, exist_ok=True)
    if fmt is ReportFormat.XLSX:
        write_xlsx(doc, out)
    elif fmt is ReportFormat.MD:
        markdown = to_markdown(doc) + f"\n![{doc.title}]({chart.name})\n"
        out.write_text(markdown, encoding="utf-8")
    else:
        out.write_text(to_html(doc, chart), encoding="utf-8")
    return [out, chart]


class FileReportRenderer:
    """The `ReportRenderer` the delivery job uses: chart and spreadsheet under the var directory."""

    def __init__(self, *, site: SiteConfig, catalog: Catalog, var_dir: Path) -> None:
        self._site = site
        self._catalog = catalog
        self._var_dir = var_dir

    def render(self, report: MonthlyReport, lang: str) -> RenderedReport:
        """Write both files for the month and describe them for the outbox."""
        self._prune(report.month)
        folder = self._var_dir / "reports" / report.month.label
        stem = f"monthly-report-{report.month.label}"
        sheet = folder / f"{stem}.xlsx"
        chart = chart_path_for(sheet)
        write_report(report, self._site, self._catalog, lang, sheet, ReportFormat.XLSX)
        return RenderedReport(
            summary=document(report, self._site, self._catalog, lang).summary,
            chart=OutgoingFile(kind=FileKind.PHOTO, path=str(chart.resolve()), filename=chart.name),
            sheet=OutgoingFile(kind=FileKind.DOCUMENT, path=str(sheet.resolve()), filename=sheet.name),
        )

    def _prune(self, month: ReportMonth) -> None:
        """Delete stored reports of months that ended more than the retention period before this one."""
        cut_off = month.start - timedelta(days=self._site.retention_days)
        root = self._var_dir / "reports"
        if not root.is_dir():
            return
        for folder in root.iterdir():
            if not (folder.is_dir() and _MONTH.fullmatch(folder.name)):
                continue
            year, number = (int(part) for part in folder.name.split("-"))
            if ReportMonth.of(year, number, self._site).end <= cut_off:
                shutil.rmtree(folder, ignore_errors=True)


_MONTH = re.compile(r"\d{4}-(?:0[1-9]|1[0-2])")
