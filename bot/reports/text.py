"""The report as Markdown or as a standalone HTML page (the chart embedded when given)."""

from __future__ import annotations

import base64
import html
from pathlib import Path

from dialogs.reports.tables import Cell, ReportDocument, Table


def cell_text(value: Cell, percent: bool) -> str:
    """A cell as text: rates as 83.3%, measured times with one decimal, nothing as a dash."""
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value * 100:.1f}%" if percent else f"{value:.1f}"
    return str(value)


def _rows(table: Table) -> list[list[str]]:
    return [
        [cell_text(value, index in table.percent) for index, value in enumerate(row)] for row in table.rows
    ]


def to_markdown(document: ReportDocument) -> str:
    """Headings, the summary and one pipe table per section."""
    lines = [f"# {document.title}", "", *document.summary.splitlines(), ""]
    for table in document.tables:
        lines += [f"## {table.title}", ""]
        lines.append("| " + " | ".join(table.headers) + " |")
        lines.append("|" + "|".join(" --- " for _ in table.headers) + "|")
        for row in _rows(table):
            lines.append(
                "| " + " | ".join(text.replace("|", "\\|").replace("\n", " ") for text in row) + " |"
            )
        lines.append("")
    return "\n".join(lines)


def to_html(document: ReportDocument, chart: Path | None = None) -> str:
    """A self-contained page (the chart inlined as a data URI, so the file can be mailed alone)."""
    esc = html.escape
    parts = [
        "<!DOCTYPE html>",
        '<html lang="zh"><head><meta charset="utf-8">',
        f"<title>{esc(document.title)}</title>",
        "<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse;margin-bottom:2em}"
        "th,td{border:1px solid #ccc;padding:4px 8px;text-align:left}th{background:#dde7f3}"
        "img{max-width:100%}</style></head><body>",
        f"<h1>{esc(document.title)}</h1>",
        "<p>" + "<br>".join(esc(line) for line in document.summary.splitlines()) + "</p>",
    ]
    if chart is not None:
        data = base64.b64encode(chart.read_bytes()).decode("ascii")
        parts.append(f'<img alt="{esc(document.title)}" src="data:image/png;base64,{data}">')
    for table in document.tables:
        parts.append(f"<h2>{esc(table.title)}</h2><table><thead><tr>")
        parts += [f"<th>{esc(header)}</th>" for header in table.headers]
        parts.append("</tr></thead><tbody>")
        for row in _rows(table):
            parts.append("<tr>" + "".join(f"<td>{esc(text)}</td>" for text in row) + "</tr>")
        parts.append("</tbody></table>")
    parts.append("</body></html>")
    return "\n".join(parts)
