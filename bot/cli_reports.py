"""`frontdesk report monthly`: a month's report for managers, as a spreadsheet, Markdown or HTML page.

The chart is written beside the report (same name, `.png`). The figures are those the first-working-day
delivery sends in Telegram; this command makes them for any month, at any time, without sending anything.
"""

from __future__ import annotations

from pathlib import Path

import click

from bot.cli_support import command_context
from bot.reports.files import ReportFormat, write_report
from dialogs.clock import SystemClock
from dialogs.i18n import SUPPORTED_LANGUAGES, Catalog
from dialogs.reports.delivery import compute_report
from dialogs.reports.period import ReportMonth

__all__ = ["report"]


@click.group()
def report() -> None:
    """Managers' reports (月度分析)."""


@report.command()
@click.option("--month", "month_text", required=True, help="The month, YYYY-MM (site-local).")
@click.option(
    "--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path), help="File to write."
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice([f.value for f in ReportFormat]),
    default=None,
    help="xlsx, md or html (default: from the --out suffix, else xlsx).",
)
@click.option("--lang", type=click.Choice(SUPPORTED_LANGUAGES), default=None, help="Default: the site's.")
def monthly(month_text: str, out: Path, fmt: str | None, lang: str | None) -> None:
    """Write the monthly report (complaints, suggestions, repairs, staff, flags), its chart beside it."""
    chosen = ReportFormat(fmt) if fmt else _format_of(out)
    with command_context() as (_settings, site, uow_factory):
        try:
            month = ReportMonth.parse(month_text, site)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--month") from exc
        with uow_factory() as uow:
            computed = compute_report(uow, month, site, SystemClock().now())
        written = write_report(computed, site, Catalog.load(), lang or site.default_language, out, chosen)
    for path in written:
        click.echo(str(path))


def _format_of(out: Path) -> ReportFormat:
    suffix = out.suffix.lstrip(".").lower()
    return ReportFormat(suffix) if suffix in {f.value for f in ReportFormat} else ReportFormat.XLSX
