"""Follow-ups across real processes on PostgreSQL: two workers send thousands of due follow-ups exactly once,
and a worker killed mid-batch loses nothing (what it may have sent is reviewed by staff, never re-sent)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from benchmarks.followups_bench import seed_due_followups
from storage.database import make_engine, upgrade

pytestmark = pytest.mark.postgres

REPO = Path(__file__).resolve().parents[2]


def worker(db: str, out: Path, *extra: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.followups.worker", "--db", db, "--out", str(out), *extra],
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )


def delivered(*files: Path) -> Counter[str]:
    lines = [line for file in files if file.exists() for line in file.read_text().splitlines()]
    return Counter(lines)


def test_two_workers_send_thousands_of_due_followups_exactly_once(postgres_url: str, tmp_path: Path) -> None:
    count = 2000
    engine = make_engine(postgres_url)
    try:
        upgrade(engine)
        seed_due_followups(engine, count, due_at=datetime.now(UTC) - timedelta(hours=1))
        outs = [tmp_path / "a.log", tmp_path / "b.log"]
        workers = [worker(postgres_url, out) for out in outs]
        for process in workers:
            assert process.wait(timeout=120) == 0
        sends = delivered(*outs)
        assert len(sends) == count and set(sends.values()) == {1}, sends.most_common(3)
        assert all(delivered(out) for out in outs), "both workers took a share"
        with engine.connect() as connection:
            statuses: dict[str, int] = dict(
                connection.execute(text("SELECT status, count(*) FROM followups GROUP BY status")).all()
            )
            outbox: dict[str, int] = dict(
                connection.execute(text("SELECT status, count(*) FROM outbox GROUP BY status")).all()
            )
        assert statuses == {"asked": count} and outbox == {"sent": count}
    finally:
        engine.dispose()


def test_a_worker_killed_mid_batch_loses_nothing_and_resends_nothing(
    postgres_url: str, tmp_path: Path
) -> None:
    count = 500
    engine = make_engine(postgres_url)
    try:
        upgrade(engine)
        seed_due_followups(engine, count, due_at=datetime.now(UTC) - timedelta(hours=1))
        first, second = tmp_path / "killed.log", tmp_path / "restarted.log"
        victim = worker(postgres_url, first, "--lease", "2", "--batch", "300", "--die-after", "150")
        assert victim.wait(timeout=60) == -signal.SIGKILL  # died mid-batch, between a send and its record
        assert sum(delivered(first).values()) == 150
        with engine.connect() as connection:
            in_flight = connection.execute(
                text("SELECT count(*) FROM outbox WHERE status = 'sending'")
            ).scalar_one()
        assert in_flight == 51  # the 150th (sent, unrecorded) and the rest of its batch of 100
        survivor = worker(postgres_url, second, "--lease", "2", "--linger", "4")
        assert survivor.wait(timeout=120) == 0

        sends = delivered(first, second)
        assert set(sends.values()) == {1}, f"sent twice: {sends.most_common(3)}"
        with engine.connect() as connection:
            rows = connection.execute(text("SELECT id, status, phone_reason FROM followups")).all()
            outbox: dict[str, int] = dict(
                connection.execute(text("SELECT status, count(*) FROM outbox GROUP BY status")).all()
            )
        sent_ids = {int(key.split(":")[1]) for key in sends}
        reviewed = {
            row.id for row in rows if row.status == "phone" and row.phone_reason == "unknown_delivery"
        }
        assert sent_ids | reviewed == {row.id for row in rows}, "a follow-up was lost"
        assert len(reviewed) == in_flight  # the unknown ones went to staff; everything else was sent once
        assert (
            outbox.get("unknown", 0) == len(reviewed) and "sending" not in outbox and "pending" not in outbox
        )
    finally:
        engine.dispose()
