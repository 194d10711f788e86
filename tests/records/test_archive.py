"""The quarterly archive: quarter bounds on the site's calendar, each table's contents, the files, the job."""

from __future__ import annotations

import csv
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from bot.app import App
from bot.cli import cli
from bot.records_files import ArchiveFormat, FileArchiveStore, archive_dir
from bot.settings import Settings
from dialogs.clock import FakeClock
from dialogs.domain import EventKind, TicketType
from dialogs.messages import ChannelName
from dialogs.records.archive import ArchiveBuilder, Table
from dialogs.records.quarters import Quarter
from tests.records.support import add_event, add_resident, add_ticket, local


def test_quarters_are_read_and_bounded_on_the_site_calendar(app: App) -> None:
    zone = app.site.zone
    assert Quarter.parse("2026Q4") == Quarter.parse(" 2026-q4 ") == Quarter(2026, 4)
    with pytest.raises(ValueError, match="2026Q4"):
        Quarter.parse("2026Q5")
    q4 = Quarter(2026, 4)
    assert q4.start(zone) == datetime(2026, 9, 30, 16, 0, tzinfo=UTC)  # 1 October 00:00 in Shanghai
    assert q4.end(zone) == datetime(2026, 12, 31, 16, 0, tzinfo=UTC)
    assert Quarter(2027, 1).previous() == q4 and q4.next() == Quarter(2027, 1)
    assert Quarter.containing(datetime(2026, 9, 30, 15, 59, tzinfo=UTC), zone) == Quarter(2026, 3)
    assert Quarter.containing(datetime(2026, 9, 30, 16, 0, tzinfo=UTC), zone) == q4


@pytest.fixture
def quarter_edges(app: App) -> dict[str, str]:
    """Tickets just either side of 2026Q4's local bounds, and an event in Q4 on a Q3 ticket."""
    since = local(app, "2026-01-05T09:00")
    first = add_resident(app, 1001, room="3-2-502", phone="13812345678", name="张三", since=since)
    second = add_resident(
        app, 1002, room="B-1203", phone="13900000002", name="Li Si", since=since, language="en"
    )
    made = {
        "q3": add_ticket(
            app,
            first,
            ticket_type=TicketType.REPAIR,
            created=local(app, "2026-09-30T23:50"),
            description="厨房水管漏水",
            sequence=1,
            category="plumbing",
            queue="plumbing",
        ),
        "q4_first": add_ticket(
            app,
            second,
            ticket_type=TicketType.COMPLAINT,
            created=local(app, "2026-10-01T00:10"),
            finished=local(app, "2026-10-02T10:00"),
            description="Noise at night, again",
            sequence=1,
            details={"complaint_class": "external"},
        ),
        "q4_last": add_ticket(
            app,
            first,
            ticket_type=TicketType.SUGGESTION,
            created=local(app, "2026-12-31T23:59"),
            description="建议增加快递柜，电话13812345678",
            sequence=1,
        ),
        "next": add_ticket(
            app,
            first,
            ticket_type=TicketType.PRAISE,
            created=local(app, "2027-01-01T00:00"),
            description="感谢保安",
            sequence=1,
        ),
    }
    add_event(
        app, made["q3"], EventKind.STATUS_CHANGED, local(app, "2026-10-02T09:00"), "staff:1", to="accepted"
    )
    return {name: ticket.reference for name, ticket in made.items()}


def tables_of(app: App, quarter: Quarter) -> dict[str, Table]:
    with app.uow_factory() as uow:
        return {table.name: table for table in ArchiveBuilder(site=app.site).build(uow, quarter)}


def column(table: Table, name: str) -> list[str]:
    index = table.columns.index(name)
    return [row[index] for row in table.rows]


def test_a_quarter_holds_its_tickets_and_events_and_everyone_as_they_stand(
    app: App, quarter_edges: dict[str, str]
) -> None:
    tables = tables_of(app, Quarter(2026, 4))

    tickets = tables["tickets"]
    assert column(tickets, "reference") == [quarter_edges["q4_first"], quarter_edges["q4_last"]]
    assert column(tickets, "created_at") == ["2026-10-01T00:10:00+08:00", "2026-12-31T23:59:00+08:00"]
    assert column(tickets, "room") == ["B-1203", "3-2-502"]
    assert column(tickets, "building") == ["B", "3"]
    assert column(tickets, "status") == ["closed", "open"]
    assert (
        column(tickets, "description")[1] == "建议增加快递柜，电话13812345678"
    )  # the office file is complete
    assert column(tickets, "details")[0] == '{"complaint_class": "external"}'

    events = tables["events"]
    assert [(r[0], r[2]) for r in events.rows] == [
        (quarter_edges["q4_first"], "created"),
        (quarter_edges["q3"], "status_changed"),  # an older ticket's event of this quarter
        (quarter_edges["q4_first"], "status_changed"),
        (quarter_edges["q4_last"], "created"),
    ]
    assert column(tables["residents"], "name") == ["张三", "Li Si"]
    assert column(tables["residents"], "room") == ["3-2-502", "B-1203"]
    assert column(tables["households"], "room") == ["3-2-502", "B-1203"]

    q3 = tables_of(app, Quarter(2026, 3))
    assert column(q3["tickets"], "reference") == [quarter_edges["q3"]]
    q1 = tables_of(app, Quarter(2027, 1))
    assert column(q1["tickets"], "reference") == [quarter_edges["next"]]
    # Only the people behind a quarter's records are in its archive (it outlives their data in the database).
    assert column(q1["residents"], "name") == ["张三"]
    assert column(q3["residents"], "name") == ["张三"]


def test_csv_files_open_in_excel_and_a_workbook_has_a_sheet_per_table(
    app: App, quarter_edges: dict[str, str], tmp_path: Path
) -> None:
    tables = list(tables_of(app, Quarter(2026, 4)).values())

    folder = Path(FileArchiveStore(tmp_path / "csv").write(Quarter(2026, 4), tables))
    assert sorted(p.name for p in folder.iterdir()) == [
        "events.csv",
        "households.csv",
        "residents.csv",
        "tickets.csv",
    ]
    assert (folder / "tickets.csv").read_bytes().startswith(b"\xef\xbb\xbf")  # BOM: Excel reads UTF-8
    with (folder / "tickets.csv").open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0][0] == "reference" and [row[0] for row in rows[1:]] == [
        quarter_edges["q4_first"],
        quarter_edges["q4_last"],
    ]
    assert "建议增加快递柜" in rows[2][rows[0].index("description")]

    workbook_path = Path(
        FileArchiveStore(tmp_path / "xlsx", ArchiveFormat.XLSX).write(Quarter(2026, 4), tables)
    )
    workbook = load_workbook(workbook_path)
    assert workbook.sheetnames == ["tickets", "events", "residents", "households"]
    assert [cell.value for cell in workbook["events"]["A"]][1:] == [row[0] for row in tables[1].rows]


def test_the_archive_command_writes_the_quarter(
    app: App, quarter_edges: dict[str, str], settings: Settings, tmp_path: Path
) -> None:
    env = {"FRONTDESK_VAR_DIR": str(settings.var_dir), "FRONTDESK_DATABASE_URL": app.settings.database_url}
    out = tmp_path / "office"
    result = CliRunner().invoke(
        cli, ["records", "archive", "--quarter", "2026Q4", "--out", str(out), "--format", "xlsx"], env=env
    )
    assert result.exit_code == 0, result.output
    assert "tickets: 2 rows" in result.output and "events: 4 rows" in result.output
    assert load_workbook(out / "2026Q4.xlsx")["tickets"].max_row == 3

    bad = CliRunner().invoke(cli, ["records", "archive", "--quarter", "Q4"], env=env)
    assert bad.exit_code != 0 and "2026Q4" in bad.output


def test_the_quarterly_job_archives_the_last_quarter_once(
    app: App, quarter_edges: dict[str, str], clock: FakeClock
) -> None:
    folder = archive_dir(app.settings) / "2026Q4"
    ticker = app.ticker(ChannelName.CONSOLE)
    clock.set(local(app, "2026-12-31T23:00"))
    ticker.tick()
    assert not folder.exists()  # still in the quarter (and 2026Q3 was claimed by this first run)

    clock.set(local(app, "2027-01-01T00:05"))
    ticker.tick()
    with (folder / "tickets.csv").open(encoding="utf-8-sig", newline="") as handle:
        assert [row[0] for row in csv.reader(handle)][1:] == [
            quarter_edges["q4_first"],
            quarter_edges["q4_last"],
        ]

    shutil.rmtree(folder)
    clock.set(local(app, "2027-01-01T00:10"))
    ticker.tick()
    assert not folder.exists()  # once per quarter
