"""`python -m benchmarks.followups_bench [--count N] [--pg URL]`: due follow-ups claimed and queued.

Measures what the scheduler's follow-up job does when a large backlog is due at once (after downtime, or a
big month): N resolved complaints, each with a due follow-up, are claimed in the job's batches and their
questions written to the outbox, one transaction per batch, exactly as `frontdesk followups run-due` does.
Delivering them is not measured: the sender paces itself to Telegram's ~30 messages/s whatever the backlog.
SQLite runs on a temporary file; PostgreSQL on a throwaway database created on the given server (default
the test server, postgresql://postgres@127.0.0.1:5432/test) and dropped afterwards.
"""

from __future__ import annotations

import argparse
import secrets
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, insert, text
from sqlalchemy.engine import Engine, make_url

from dialogs.clock import FakeClock
from dialogs.followup.job import FollowUpJob
from dialogs.i18n import Catalog
from dialogs.site import QuietHours, SiteConfig, load_site
from dialogs.ticker import Ticker
from storage.database import make_engine, upgrade
from storage.tables import FollowUpRow, OutboxRow, ResidentRow, TicketRow, table_of
from storage.uow import SqlUnitOfWorkFactory

NOW = datetime(2026, 11, 28, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai: outside quiet hours
CHUNK = 5000


def always_awake(site: SiteConfig) -> SiteConfig:
    """The site without quiet hours (an empty span), so runs at any wall-clock hour send."""
    return site.model_copy(
        update={"quiet_hours": QuietHours(start=site.quiet_hours.end, end=site.quiet_hours.end)}
    )


def seed_due_followups(
    engine: Engine,
    count: int,
    *,
    due_at: datetime,
    first_chat: int = 10_000_000,
    prefix: str = "C",
    channel: str = "telegram",
) -> None:
    """`count` residents, each with a resolved complaint whose follow-up is due at `due_at` (bulk inserts)."""
    residents, tickets, followups = table_of(ResidentRow), table_of(TicketRow), table_of(FollowUpRow)
    with engine.begin() as connection:
        for start in range(0, count, CHUNK):
            numbers = range(start, min(count, start + CHUNK))
            people: list[dict[str, Any]] = [
                {
                    "channel": channel,
                    "external_id": first_chat + n,
                    "display_name": "",
                    "language": "zh" if n % 4 else "en",
                    "created_at": due_at,
                }
                for n in numbers
            ]
            resident_ids = [
                row.id
                for row in connection.execute(
                    insert(residents).returning(residents.c.id, sort_by_parameter_order=True), people
                )
            ]
            rows = [
                {
                    "reference": f"{prefix}{first_chat + n:010d}"[-11:],
                    "type": "C",
                    "status": "resolved",
                    "priority": "normal",
                    "resident_id": resident_id,
                    "location": "",
                    "description": "油烟",
                    "language": "zh",
                    "channel": channel,
                    "chat_id": first_chat + n,
                    "photos": [],
                    "details": {"complaint_class": "service"},
                    "created_at": due_at - timedelta(days=1),
                    "updated_at": due_at - timedelta(days=1),
                    "queue": "front_desk",
                }
                for n, resident_id in zip(numbers, resident_ids, strict=True)
            ]
            ticket_ids = [
                row.id
                for row in connection.execute(
                    insert(tickets).returning(tickets.c.id, sort_by_parameter_order=True), rows
                )
            ]
            connection.execute(
                insert(followups),
                [
                    {
                        "ticket_id": ticket_id,
                        "reference": ticket["reference"],
                        "kind": "complaint",
                        "status": "scheduled",
                        "resident_id": ticket["resident_id"],
                        "channel": channel,
                        "chat_id": ticket["chat_id"],
                        "resolved_at": due_at - timedelta(days=1),
                        "due_at": due_at,
                        "window_end": due_at + timedelta(days=2),
                        "created_at": due_at - timedelta(days=1),
                        "comment": "",
                        "late": False,
                    }
                    for ticket_id, ticket in zip(ticket_ids, rows, strict=True)
                ],
            )


def claim_all(engine: Engine, site: SiteConfig, now: datetime) -> tuple[int, float]:
    """Run the follow-up job until nothing is due; returns (questions queued, seconds)."""
    job = FollowUpJob(site=site, catalog=Catalog.load(), staff_chat_id=None)
    ticker = Ticker(uow_factory=SqlUnitOfWorkFactory(engine), clock=FakeClock(now), jobs=[job])
    began = time.perf_counter()  # the catalogue is loaded at start-up, not per batch: not timed
    while ticker.tick():
        pass
    return job.tally.asked, time.perf_counter() - began


def measure(url: str, count: int) -> tuple[float, float, int]:
    """Seed `count` due follow-ups at `url`, claim them all; (seed seconds, claim seconds, outbox rows)."""
    engine = make_engine(url)
    try:
        upgrade(engine)
        began = time.perf_counter()
        seed_due_followups(engine, count, due_at=NOW - timedelta(minutes=5))
        with engine.connect() as connection:  # what autovacuum does to a live table: planner statistics
            connection.execute(text("ANALYZE"))
            connection.commit()
        seeded = time.perf_counter() - began
        asked, seconds = claim_all(engine, always_awake(load_site()), NOW)
        with engine.connect() as connection:
            queued = connection.execute(text(f"SELECT count(*) FROM {OutboxRow.__tablename__}")).scalar_one()
        assert asked == count == queued, (asked, count, queued)
        return seeded, seconds, int(queued)
    finally:
        engine.dispose()


def main() -> None:
    """Measure on SQLite and PostgreSQL and print a markdown table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument(
        "--pg", default="postgresql://postgres@127.0.0.1:5432/test", help="admin URL ('' to skip)"
    )
    args = parser.parse_args()
    rows: list[tuple[str, float, float, int]] = []
    with tempfile.TemporaryDirectory(prefix="followups-bench-") as tmp:
        seeded, seconds, queued = measure(f"sqlite:///{Path(tmp) / 'bench.db'}", args.count)
        rows.append(("SQLite (WAL, file)", seeded, seconds, queued))
    if args.pg:
        admin_url = make_url(args.pg).set(drivername="postgresql+psycopg")
        name = f"frontdesk_bench_{secrets.token_hex(4)}"
        admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
        try:
            with admin.connect() as connection:
                connection.execute(text(f'CREATE DATABASE "{name}"'))
            try:
                url = admin_url.set(database=name).render_as_string(hide_password=False)
                seeded, seconds, queued = measure(url, args.count)
                rows.append(("PostgreSQL 127.0.0.1", seeded, seconds, queued))
            finally:
                with admin.connect() as connection:
                    connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        finally:
            admin.dispose()
    print("| database | follow-ups due | claimed and queued in | per second | (seeding) |")
    print("| --- | --- | --- | --- | --- |")
    for label, seeded, seconds, queued in rows:
        print(f"| {label} | {queued:,} | {seconds:.1f} s | {queued / seconds:,.0f} | {seeded:.1f} s |")


if __name__ == "__main__":
    main()
