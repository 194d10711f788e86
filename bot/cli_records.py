"""`frontdesk records …`: write a quarter's archive, apply the retention period.

`records archive` writes what the quarterly job writes, for any quarter and anywhere; `records purge`
runs the retention purge to the end (in batches, one transaction each), or with `--dry-run` reports what it
would remove without changing anything.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import click

from bot.cli_support import command_context
from bot.records_files import ArchiveFormat, ExportDir, FileArchiveStore, archive_dir, export_dir
from dialogs.clock import SystemClock
from dialogs.records.archive import ArchiveBuilder
from dialogs.records.quarters import Quarter
from dialogs.records.retention import BATCH, PurgeCounts, Retention
from dialogs.site import SiteConfig

__all__ = ["records"]


def _when(value: str | None, site: SiteConfig) -> datetime:
    """`--now` (ISO 8601; without an offset it is site-local time), else the clock."""
    if value is None:
        return SystemClock().now()
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        raise click.BadParameter(f"not an ISO 8601 time: {value!r}", param_hint="--now") from exc
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=site.zone)


@click.group()
def records() -> None:
    """Records: the quarterly archive and the retention period (manual: archived quarterly, kept 2 years)."""


@records.command("archive")
@click.option("--quarter", "label", required=True, help="The quarter, e.g. 2026Q4 (site-local calendar).")
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Directory to write to (default: the var directory's archive/).",
)
@click.option(
    "--format",
    "archive_format",
    type=click.Choice([f.value for f in ArchiveFormat]),
    default=ArchiveFormat.CSV.value,
    show_default=True,
    help="csv: a UTF-8 (BOM) file per table; xlsx: one workbook, a sheet per table.",
)
def records_archive(label: str, out: Path | None, archive_format: str) -> None:
    """Write a quarter's tickets, events, residents and households, e.g. `--quarter 2026Q4`."""
    try:
        quarter = Quarter.parse(label)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--quarter") from exc
    with command_context() as (settings, site, uow_factory), uow_factory() as uow:
        tables = ArchiveBuilder(site=site).build(uow, quarter)
    store = FileArchiveStore(out or archive_dir(settings), ArchiveFormat(archive_format))
    where = store.write(quarter, tables)
    click.echo(f"{quarter.label} archived to {where}")
    for table in tables:
        click.echo(f"  {table.name}: {len(table.rows)} rows")


@records.command("purge")
@click.option("--now", "now_text", default=None, help="Act as if it were this time (ISO 8601).")
@click.option("--dry-run", is_flag=True, help="Report what would be removed; change nothing.")
def records_purge(now_text: str | None, dry_run: bool) -> None:
    """Remove personal data past the site's retention period (retention_days, default 730)."""
    with command_context() as (settings, site, uow_factory):
        now = _when(now_text, site)
        retention = Retention(
            site=site,
            archives=FileArchiveStore(archive_dir(settings)),
            exports=ExportDir(export_dir(settings)),
        )
        if dry_run:
            with uow_factory() as uow:  # rolled back on leaving: nothing is changed
                total = retention.purge_batch(uow, now, limit=None, dry_run=True)
        else:
            total = PurgeCounts()
            while True:
                with uow_factory() as uow:
                    counts = retention.purge_batch(uow, now, limit=BATCH)
                    uow.commit()
                total += counts
                if counts.tickets < BATCH and counts.residents < BATCH:
                    break
    cutoff = retention.cutoff(now).astimezone(site.zone).isoformat(timespec="seconds")
    verb = "would remove" if dry_run else "removed"
    click.echo(f"retention {site.retention_days} days: records finished before {cutoff}")
    click.echo(f"{verb}: " + ", ".join(f"{name} {count}" for name, count in total.as_dict().items()))
