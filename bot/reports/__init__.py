"""Rendering the monthly report: spreadsheet (openpyxl), Markdown, HTML and a chart (matplotlib)."""
