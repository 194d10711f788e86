"""Record files: archives, and files made for residents (/mydata) until they are delivered.

Archives: a quarter's tables as CSV files (UTF-8 with BOM, so Excel reads the Chinese) or one XLSX.

`FileArchiveStore` keeps one archive per quarter under a directory (`<var>/archive/2026Q4/` holding a CSV
per table, or `<var>/archive/2026Q4.xlsx`). Files are written beside their final name and moved into place,
so a reader never sees half an archive and a rewrite of the same quarter replaces it whole.
"""

from __future__ import annotations

import csv
import os
import secrets
import shutil
import tempfile
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from pathlib import Path

from bot.settings import Settings
from dialogs.records.archive import Table
from dialogs.records.quarters import Quarter

__all__ = [
    "ArchiveFormat",
    "ExportDir",
    "FileArchiveStore",
    "archive_dir",
    "export_dir",
    "write_csv",
    "write_xlsx",
]


def archive_dir(settings: Settings) -> Path:
    """Where the quarterly job keeps archives (and where the retention purge expires them)."""
    return settings.var_dir / "archive"


class ArchiveFormat(StrEnum):
    """How an archive is written."""

    CSV = "csv"
    XLSX = "xlsx"


def write_csv(folder: Path, tables: Sequence[Table]) -> list[Path]:
    """One `<table>.csv` per table in `folder` (created if needed); returns the files."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for table in tables:
        path = folder / f"{table.name}.csv"
        with path.open("w", encoding="utf-8-sig", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(table.columns)
            writer.writerows(table.rows)
        paths.append(path)
    return paths


def write_xlsx(path: Path, tables: Sequence[Table]) -> Path:
    """One workbook with a sheet per table."""
    from openpyxl import Workbook  # a quarterly job's need: not loaded into every webhook worker

    workbook = Workbook()
    first = workbook.active
    if first is not None:
        workbook.remove(first)
    for table in tables:
        sheet = workbook.create_sheet(title=table.name[:31])
        sheet.append(list(table.columns))
        for row in table.rows:
            sheet.append(list(row))
    path.parent.mkdir(parents=True, exist_ok=True)
    workbook.save(path)
    return path


class FileArchiveStore:
    """Implements `dialogs.records.archive.ArchiveStore` with files under `root`."""

    def __init__(self, root: Path, archive_format: ArchiveFormat = ArchiveFormat.CSV) -> None:
        self._root = root
        self._format = archive_format

    def write(self, quarter: Quarter, tables: Sequence[Table]) -> str:
        """Write the archive next to its place, then move it there (replacing an older one)."""
        self._root.mkdir(parents=True, exist_ok=True)
        if self._format is ArchiveFormat.XLSX:
            target = self._root / f"{quarter.label}.xlsx"
            handle, temporary = tempfile.mkstemp(dir=self._root, prefix=f".{quarter.label}-", suffix=".xlsx")
            os.close(handle)
            write_xlsx(Path(temporary), tables)
            os.replace(temporary, target)
            return str(target)
        target = self._root / quarter.label
        staging = Path(tempfile.mkdtemp(dir=self._root, prefix=f".{quarter.label}-"))
        write_csv(staging, tables)
        if target.exists():
            shutil.rmtree(target)
        staging.rename(target)
        return str(target)

    def stored(self) -> list[Quarter]:
        """Quarters with an archive here, in either format."""
        if not self._root.is_dir():
            return []
        found = set()
        for entry in self._root.iterdir():
            if entry.name.startswith("."):
                continue
            try:
                found.add(Quarter.parse(entry.name.removesuffix(".xlsx")))
            except ValueError:
                continue  # not an archive of ours
        return sorted(found)

    def remove(self, quarter: Quarter) -> None:
        """Delete the quarter's archive, in either format."""
        folder = self._root / quarter.label
        if folder.is_dir():
            shutil.rmtree(folder)
        (self._root / f"{quarter.label}.xlsx").unlink(missing_ok=True)


EXPORT_KEEP = timedelta(days=7)  # long enough for the sender's retries; the file holds personal data
_STAMP = "%Y%m%dT%H%M%S"


def export_dir(settings: Settings) -> Path:
    """Where files made for residents (/mydata) wait to be delivered."""
    return settings.var_dir / "exports"


class ExportDir:
    """Implements `dialogs.records.mydata.ExportFiles`: one fresh folder per file, named by time and a
    random token (so the path cannot be guessed and two files never collide); folders older than
    `EXPORT_KEEP` are removed by the nightly retention job."""

    def __init__(self, root: Path, keep: timedelta = EXPORT_KEEP) -> None:
        self._root = root
        self._keep = keep

    def save(self, filename: str, content: bytes, *, now: datetime) -> str:
        folder = self._root / f"{now.astimezone(UTC).strftime(_STAMP)}-{secrets.token_hex(8)}"
        folder.mkdir(parents=True)
        path = folder / Path(filename).name
        path.write_bytes(content)
        return str(path)

    def prune(self, *, now: datetime, dry_run: bool = False) -> int:
        """Delete the folders older than the keeping time (the nightly retention job calls this)."""
        if not self._root.is_dir():
            return 0
        oldest = now - self._keep
        stale = []
        for entry in self._root.iterdir():
            try:
                made = datetime.strptime(entry.name.split("-", 1)[0], _STAMP).replace(tzinfo=UTC)
            except ValueError:
                continue  # not one of ours
            if made < oldest and entry.is_dir():
                stale.append(entry)
        if not dry_run:
            for entry in stale:
                shutil.rmtree(entry)
        return len(stale)
