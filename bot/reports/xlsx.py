"""The report as a spreadsheet: one sheet per table, a bold frozen header row, column widths set, rates
formatted as percentages (the cells keep the numbers, so managers can compute with them)."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from dialogs.reports.tables import ReportDocument, Table

MAX_WIDTH = 60
MIN_WIDTH = 8
_HEADER_FILL = PatternFill("solid", fgColor="DDE7F3")
_SHEET_NAME_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")


def display_width(text: str) -> int:
    """Columns a text takes: wide (CJK) characters count two."""
    return sum(2 if unicodedata.east_asian_width(char) in ("W", "F") else 1 for char in text)


def _shown(value: object, percent: bool) -> str:
    if value is None:
        return ""
    if percent and isinstance(value, float):
        return f"{value * 100:.1f}%"
    if isinstance(value, float):
        return f"{value:.1f}"
    return str(value)


def sheet_name(title: str) -> str:
    """A title Excel accepts as a sheet name (31 characters, no []:*?/\\)."""
    return _SHEET_NAME_FORBIDDEN.sub("-", title)[:31]


def _fill(sheet: Worksheet, table: Table) -> None:
    sheet.append(list(table.headers))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.fill = _HEADER_FILL
        cell.alignment = Alignment(vertical="center", wrap_text=True)
    for row in table.rows:
        sheet.append(list(row))
    for column, header in enumerate(table.headers, start=1):
        percent = column - 1 in table.percent
        for (cell,) in sheet.iter_rows(min_row=2, min_col=column, max_col=column):
            if isinstance(cell.value, float):
                cell.number_format = "0.0%" if percent else "0.0"
        widest = max(
            [display_width(header)] + [display_width(_shown(r[column - 1], percent)) for r in table.rows]
        )
        sheet.column_dimensions[get_column_letter(column)].width = max(MIN_WIDTH, min(MAX_WIDTH, widest + 2))
    sheet.freeze_panes = "A2"
    if table.rows:
        sheet.auto_filter.ref = f"A1:{get_column_letter(len(table.headers))}{len(table.rows) + 1}"


def write_xlsx(document: ReportDocument, path: Path) -> Path:
    """Write the workbook to `path` and return it."""
    workbook = Workbook()
    workbook.remove(workbook.active)  # type: ignore[arg-type]
    workbook.properties.title = document.title
    for table in document.tables:
        _fill(workbook.create_sheet(sheet_name(table.title)), table)
    path.parent.mkdir(parents=True, exist_ok=True)
    workbook.save(path)
    return path
