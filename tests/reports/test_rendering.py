"""The rendered report: the spreadsheet opened with openpyxl (sheets, headers, frozen header row, widths,
cells equal to the report's figures), the chart PNG (size, not blank, drawn in a font that has every glyph
of its labels), and the Markdown and HTML pages."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import load_workbook
from PIL import Image, ImageStat

from bot.reports.chart import HEIGHT_INCHES, WIDTH_INCHES, chart_texts
from bot.reports.files import ReportFormat, write_report
from bot.reports.font import cjk_font_name, missing_glyphs
from dialogs.i18n import Catalog
from dialogs.reports.tables import Labels, document
from tests.reports.conftest import Month

SHEETS_ZH = ["概览", "投诉汇总", "建议情况", "报修与服务", "回访统计", "重点关注", "员工", "满意度调查"]


@pytest.fixture(scope="module")
def xlsx(october: Month, catalog: Catalog, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("xlsx") / "report.xlsx"
    written = write_report(october.report, october.site, catalog, "zh", out, ReportFormat.XLSX)
    assert written == [out, out.with_suffix(".png")]
    return out


def test_workbook_has_one_sheet_per_section_with_real_headers(xlsx: Path) -> None:
    workbook = load_workbook(xlsx)
    assert workbook.sheetnames == SHEETS_ZH
    for sheet in workbook.worksheets:
        assert sheet.freeze_panes == "A2", sheet.title
        headers = [cell.value for cell in sheet[1]]
        assert headers and all(isinstance(h, str) and h for h in headers), sheet.title
        assert all(cell.font.bold for cell in sheet[1])
        for letter in "AB":
            assert (sheet.column_dimensions[letter].width or 0) >= 8
    assert [c.value for c in workbook["员工"][1]] == [
        "姓名",
        "岗位",
        "处理工单",
        "受理时长中位数（分钟）",
        "完成时长中位数（小时）",
        "承诺数",
        "承诺达成率",
        "表扬",
    ]


def test_complaint_sheet_cells_are_the_reports_figures(xlsx: Path, october: Month) -> None:
    rows = list(load_workbook(xlsx)["投诉汇总"].iter_rows(min_row=2, values_only=True))
    summary = october.report.complaints
    assert rows[0][:3] == ("投诉合计", None, summary.total)
    classes = {row[1]: row[2] for row in rows if row[0] == "类别"}
    assert classes == {
        "一类（服务）": dict(summary.by_class)["service"],
        "二类（房屋质量/开发商）": dict(summary.by_class)["quality"],
        "三类（外部环境）": dict(summary.by_class)["external"],
    }
    kept = next(row for row in rows if row[1] == "24小时反馈：按时")
    assert kept[2] == summary.feedback.kept
    assert kept[3] == pytest.approx(summary.feedback.compliance)
    assert sum(int(str(row[2])) for row in rows if row[0] == "楼栋") == summary.total
    median = next(row for row in rows if row[1] == "反馈时长中位数（小时）")
    assert median[2] == pytest.approx(summary.median_feedback_hours)


def test_rates_are_numbers_formatted_as_percentages(xlsx: Path, october: Month) -> None:
    sheet = load_workbook(xlsx)["报修与服务"]
    same_day = next(
        row for row in sheet.iter_rows(min_row=2) if row[0].value == "报修" and row[2].value == "当日完成"
    )
    assert same_day[3].value == october.report.repairs.same_day
    assert same_day[4].value == pytest.approx(october.report.repairs.same_day_rate)
    assert same_day[4].number_format == "0.0%"


def test_other_sheets(xlsx: Path, october: Month) -> None:
    workbook = load_workbook(xlsx)
    suggestions = list(workbook["建议情况"].iter_rows(min_row=2, values_only=True))
    assert [row[0] for row in suggestions] == [line.reference for line in october.report.suggestions.lines]
    assert {row[3] for row in suggestions} == {"已采纳", "未采纳", "待处理"}
    flags = list(workbook["重点关注"].iter_rows(min_row=2, values_only=True))
    assert len(flags) == len(october.report.flags)
    repeated = next(row for row in flags if row[0] == "同一住户同类报修3次及以上")
    assert repeated[1] == "5栋2单元601 水管/漏水" and repeated[2] == 3
    callbacks = {row[0]: row for row in workbook["回访统计"].iter_rows(min_row=2, values_only=True)}
    complaint = next(line for line in october.report.callbacks if line.kind == "complaint")
    assert callbacks["投诉回访"][1:6] == (
        1.0,
        complaint.handled,
        complaint.due,
        complaint.done,
        complaint.on_time,
    )
    staff = {row[0]: row for row in workbook["员工"].iter_rows(min_row=2, values_only=True)}
    for line in october.report.staff:
        assert staff[line.name][2] == line.handled and staff[line.name][7] == line.praise
    survey = list(workbook["满意度调查"].iter_rows(min_row=2, values_only=True))
    assert survey[1][1] == "总体满意率"
    assert survey[1][3] == pytest.approx(october.report.surveys[0].results.overall_rate)


def test_chart_png_is_full_size_and_not_blank(xlsx: Path) -> None:
    with Image.open(xlsx.with_suffix(".png")) as image:
        assert image.format == "PNG"
        assert image.size == (int(WIDTH_INCHES * 100), int(HEIGHT_INCHES * 100))
        grey = image.convert("L")
        stats = ImageStat.Stat(grey)
        assert stats.stddev[0] > 20  # bars, text and axes, not one flat colour
        dark = sum(grey.histogram()[:100])
        assert dark > 0.01 * image.size[0] * image.size[1]


def test_chart_labels_have_glyphs_in_the_font_used(october: Month, catalog: Catalog) -> None:
    assert cjk_font_name() == "Noto Sans CJK SC"
    for lang in ("zh", "en"):
        texts = chart_texts(october.report, Labels(october.site, catalog, lang))
        assert any("投诉" in text for text in texts) or lang == "en"
        missing = {char for text in texts for char in missing_glyphs(text)}
        assert not missing, missing


def test_english_report(october: Month, catalog: Catalog, tmp_path: Path) -> None:
    out = tmp_path / "report.xlsx"
    write_report(october.report, october.site, catalog, "en", out, ReportFormat.XLSX)
    workbook = load_workbook(out)
    assert workbook.sheetnames[:3] == ["Overview", "Complaints", "Suggestions"]
    assert workbook["Complaints"]["A1"].value == "By"


def test_markdown_and_html(october: Month, catalog: Catalog, tmp_path: Path) -> None:
    md = tmp_path / "report.md"
    write_report(october.report, october.site, catalog, "zh", md, ReportFormat.MD)
    text = md.read_text(encoding="utf-8")
    doc = document(october.report, october.site, catalog, "zh")
    assert text.startswith(f"# {doc.title}")
    assert all(f"## {table.title}" in text for table in doc.tables)
    assert f"| 投诉合计 |  | {october.report.complaints.total} | — |" in text
    assert "![" in text and (tmp_path / "report.png").is_file()
    page = tmp_path / "report.html"
    write_report(october.report, october.site, catalog, "zh", page, ReportFormat.HTML)
    html = page.read_text(encoding="utf-8")
    assert html.count("<table>") == len(doc.tables)
    assert "data:image/png;base64," in html
