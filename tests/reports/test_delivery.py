"""Delivery to the managers: on the first working day of the month (site calendar, from 09:00 local) one tick
builds last month's report once and queues, for each manager, the summary, the chart as a photo and the
spreadsheet as a document; the outbox keeps the files through its JSON payload; Telegram receives
sendMessage, sendPhoto and sendDocument through the real aiogram transport against the fake Bot API."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from openpyxl import load_workbook
from PIL import Image

from bot.app import App
from bot.console import ConsoleTransport
from bot.outbox import OutboxSender
from bot.reports.files import FileReportRenderer
from bot.telegram.runner import make_bot
from bot.telegram.transport import TelegramTransport
from dialogs.clock import FakeClock
from dialogs.domain import StaffMember, StaffRole
from dialogs.i18n import Catalog
from dialogs.messages import ChannelName, FileKind, Outgoing, OutgoingFile, Reply
from dialogs.reports.delivery import MonthlyReportJob
from dialogs.reports.period import ReportMonth
from dialogs.site import SiteConfig, load_site
from dialogs.ticker import Ticker
from storage.codec import outgoing_from_payload, outgoing_to_payload
from storage.database import make_engine, upgrade
from storage.uow import SqlUnitOfWorkFactory
from tests.fake_bot_api import FakeBotApi
from tests.harness import CollectingTransport
from tests.reports.month import MonthWriter, write_month

MANAGER = 607  # 钱经理 in the scenario's staff


def at_local(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC) - timedelta(hours=8)


@pytest.fixture
def world(tmp_path: Path) -> Iterator[tuple[SqlUnitOfWorkFactory, SiteConfig, Path]]:
    engine = make_engine(f"sqlite:///{tmp_path / 'db.sqlite'}")
    upgrade(engine)
    factory = SqlUnitOfWorkFactory(engine)
    site = load_site()
    writer = MonthWriter(factory, site)
    writer.add_staff()
    write_month(writer, ReportMonth.parse("2026-10", site))
    yield factory, site, tmp_path / "var"
    engine.dispose()


def make_ticker(
    factory: SqlUnitOfWorkFactory,
    site: SiteConfig,
    var: Path,
    clock: FakeClock,
    channel: ChannelName = ChannelName.TELEGRAM,
) -> Ticker:
    catalog = Catalog.load()
    renderer = FileReportRenderer(site=site, catalog=catalog, var_dir=var)
    job = MonthlyReportJob(site=site, catalog=catalog, channel=channel, renderer=renderer)
    return Ticker(uow_factory=factory, clock=clock, jobs=[job])


def test_sent_once_on_the_first_working_day_from_nine(
    world: tuple[SqlUnitOfWorkFactory, SiteConfig, Path],
) -> None:
    factory, site, var = world
    clock = FakeClock(at_local(date(2026, 10, 31), 9))
    ticker = make_ticker(factory, site, var, clock)
    assert ticker.tick() == 0  # October is not over (and September's report is weeks late: not sent now)
    clock.set(at_local(date(2026, 11, 1), 8, 59))
    assert ticker.tick() == 0  # before the report time
    clock.set(at_local(date(2026, 11, 1), 9, 0))
    assert ticker.tick() == 3  # one manager: summary, chart, spreadsheet
    clock.advance(timedelta(minutes=5))
    assert ticker.tick() == 0  # claimed: never twice
    clock.set(at_local(date(2026, 11, 20), 9))
    assert ticker.tick() == 0


def test_a_report_missed_on_its_day_is_caught_up_within_a_week(
    world: tuple[SqlUnitOfWorkFactory, SiteConfig, Path],
) -> None:
    factory, site, var = world
    clock = FakeClock(at_local(date(2026, 11, 6), 15))  # the bot was down from the 1st to the 6th
    assert make_ticker(factory, site, var, clock).tick() == 3
    clock = FakeClock(at_local(date(2026, 12, 9), 15))  # December's first day was missed by more than a week
    assert make_ticker(factory, site, var, clock).tick() == 0


def test_a_holiday_moves_the_report_to_the_next_working_day(
    world: tuple[SqlUnitOfWorkFactory, SiteConfig, Path],
) -> None:
    factory, site, var = world
    closed = SiteConfig.model_validate(
        {**site.model_dump(), "holidays": [date(2026, 11, 1), date(2026, 11, 2)]}
    )
    clock = FakeClock(at_local(date(2026, 11, 1), 10))
    ticker = make_ticker(factory, closed, var, clock)
    assert ticker.tick() == 0
    clock.set(at_local(date(2026, 11, 2), 23))
    assert ticker.tick() == 0
    clock.set(at_local(date(2026, 11, 3), 9, 30))
    assert ticker.tick() == 3


async def test_the_manager_gets_summary_chart_and_spreadsheet(
    world: tuple[SqlUnitOfWorkFactory, SiteConfig, Path],
) -> None:
    factory, site, var = world
    clock = FakeClock(at_local(date(2026, 11, 1), 9, 5))
    make_ticker(factory, site, var, clock, ChannelName.CONSOLE).tick()
    transport = CollectingTransport()
    assert await OutboxSender(factory, transport, clock).flush() == 3
    summary, chart, sheet = transport.delivered
    assert {m.chat_id for m in transport.delivered} == {MANAGER}
    assert "2026-10 月度报告" in summary.reply.text and "投诉" in summary.reply.text
    assert summary.reply.file is None
    assert transport.files == [chart, sheet]
    assert chart.reply.file is not None and chart.reply.file.kind is FileKind.PHOTO
    assert sheet.reply.file is not None and sheet.reply.file.kind is FileKind.DOCUMENT
    assert sheet.reply.file.filename == "monthly-report-2026-10.xlsx"
    assert Path(sheet.reply.file.path).parent == (var / "reports" / "2026-10").resolve()
    with Image.open(chart.reply.file.path) as image:
        assert image.size[0] >= 1000
    assert "投诉汇总" in load_workbook(sheet.reply.file.path).sheetnames


def test_outbox_payload_keeps_the_file() -> None:
    message = Outgoing(
        channel=ChannelName.TELEGRAM,
        chat_id=5,
        reply=Reply(text="caption", file=OutgoingFile(FileKind.DOCUMENT, "/var/x.xlsx", "x.xlsx")),
        audience="staff",
    )
    payload = outgoing_to_payload(message)
    assert outgoing_from_payload(channel="telegram", chat_id=5, audience="staff", payload=payload) == message
    plain = outgoing_to_payload(Outgoing(channel=ChannelName.TELEGRAM, chat_id=5, reply=Reply(text="hi")))
    assert "file" not in plain  # rows without a file are what earlier releases wrote


async def test_delivered_through_the_bot_api(world: tuple[SqlUnitOfWorkFactory, SiteConfig, Path]) -> None:
    factory, site, var = world
    clock = FakeClock(at_local(date(2026, 11, 1), 9, 5))
    make_ticker(factory, site, var, clock).tick()
    async with FakeBotApi() as api:
        bot = make_bot(api.token, api.base_url)
        try:
            delivered = await OutboxSender(factory, TelegramTransport(bot), clock).flush()
        finally:
            await bot.session.close()
    assert delivered == 3
    sent = api.sent_messages(MANAGER)
    assert [m.method for m in sent] == ["sendMessage", "sendPhoto", "sendDocument"]
    assert sent[0].text is not None and "月度报告" in sent[0].text
    photo = api.calls_to("sendPhoto")[0].params
    assert photo[photo["photo"].removeprefix("attach://")] == "<file monthly-report-2026-10.png>"  # uploaded
    assert photo["caption"] == "2026-10 月度报告图表"
    document = api.calls_to("sendDocument")[0].params
    assert document[document["document"].removeprefix("attach://")] == "<file monthly-report-2026-10.xlsx>"
    assert document["caption"] == "2026-10 月度报告（Excel）"


async def test_a_missing_file_is_a_final_failure(tmp_path: Path) -> None:
    async with FakeBotApi() as api:
        bot = make_bot(api.token, api.base_url)
        try:
            message = Outgoing(
                channel=ChannelName.TELEGRAM,
                chat_id=7,
                reply=Reply(
                    text="x", file=OutgoingFile(FileKind.PHOTO, str(tmp_path / "gone.png"), "gone.png")
                ),
            )
            result = await TelegramTransport(bot).send(message)
        finally:
            await bot.session.close()
    assert getattr(result, "retryable", None) is False
    assert api.calls_to("sendPhoto") == []


async def test_the_app_ticker_sends_the_report(app: App, clock: FakeClock) -> None:
    clock.set(at_local(date(2026, 12, 1), 9, 10))
    app.ticker(ChannelName.CONSOLE).tick()  # no manager yet: nothing claimed, nothing sent
    with app.uow_factory() as uow:
        uow.staff.save(
            member=StaffMember(id=None, telegram_id=MANAGER, name="钱经理", role=StaffRole.MANAGER)
        )
        uow.commit()
    clock.set(at_local(date(2026, 12, 1), 9, 30))  # November's report
    app.ticker(ChannelName.CONSOLE).tick()
    transport = CollectingTransport()
    await OutboxSender(app.uow_factory, transport, clock).flush()
    files = [m for m in transport.files if m.chat_id == MANAGER]
    assert [m.reply.file.filename for m in files if m.reply.file] == [
        "monthly-report-2026-11.png",
        "monthly-report-2026-11.xlsx",
    ]
    assert Path(files[0].reply.file.path if files[0].reply.file else "").is_relative_to(app.settings.var_dir)


async def test_the_console_says_where_the_file_is() -> None:
    out = io.StringIO()
    message = Outgoing(
        channel=ChannelName.CONSOLE,
        chat_id=9,
        reply=Reply(
            text="2026-10 月度报告图表", file=OutgoingFile(FileKind.PHOTO, "/srv/var/r.png", "r.png")
        ),
    )
    await ConsoleTransport(out=out, viewer=9).send(message)
    assert out.getvalue().splitlines() == ["2026-10 月度报告图表", "  📎 r.png: /srv/var/r.png"]


def test_stored_reports_are_kept_no_longer_than_the_retention_period(
    world: tuple[SqlUnitOfWorkFactory, SiteConfig, Path],
) -> None:
    """A report quotes residents' words: the copies under var/ go with the site's retention period."""
    factory, site, var = world
    for label in ("2024-09", "2024-10", "2024-11"):
        (var / "reports" / label).mkdir(parents=True)
        (var / "reports" / label / "monthly-report.xlsx").write_bytes(b"old")
    (var / "reports" / "notes").mkdir()
    clock = FakeClock(at_local(date(2026, 11, 2), 9))  # October 2026's report; 730 days before 1 Oct 2026
    assert make_ticker(factory, site, var, clock).tick() == 3
    kept = sorted(p.name for p in (var / "reports").iterdir())
    assert kept == ["2024-10", "2024-11", "2026-10", "notes"]
