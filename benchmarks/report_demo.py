"""Make the README's picture of a real monthly report: a realistic demo month (the one the report tests
use) written to a throwaway database, then `frontdesk report monthly` run on it.

    .venv/bin/python -m benchmarks.report_demo    # writes docs/monthly-report.xlsx and .png
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

from bot.cli import cli
from bot.settings import repo_root
from dialogs.reports.period import ReportMonth
from dialogs.site import load_site
from storage.database import make_engine, upgrade
from storage.uow import SqlUnitOfWorkFactory
from tests.reports.month import MonthWriter, write_callbacks, write_month, write_surveys

MONTH = "2026-10"


def main(out: Path) -> None:
    """Write the demo month, then run the command that managers run."""
    with tempfile.TemporaryDirectory() as folder:
        var = Path(folder)
        engine = make_engine(f"sqlite:///{var / 'frontdesk.db'}")
        upgrade(engine)
        writer = MonthWriter(SqlUnitOfWorkFactory(engine), load_site())
        writer.add_staff()
        month = ReportMonth.parse(MONTH, writer.site)
        write_month(writer, month)
        write_callbacks(writer, month)
        write_surveys(writer, month)
        engine.dispose()
        os.environ["FRONTDESK_VAR_DIR"] = str(var)
        cli.main(["report", "monthly", "--month", MONTH, "--out", str(out)], standalone_mode=False)


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else repo_root() / "docs" / "monthly-report.xlsx")
