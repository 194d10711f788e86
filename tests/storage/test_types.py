"""`UTCDateTime` without a database: what it sends to each dialect and what it hands back."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy.engine import Dialect, make_url

from storage.types import UTCDateTime

BEIJING = timezone(timedelta(hours=8))
LOCAL = datetime(2026, 11, 27, 9, 30, tzinfo=BEIJING)
AS_UTC = datetime(2026, 11, 27, 1, 30, tzinfo=UTC)


def _dialect(url: str) -> Dialect:
    return make_url(url).get_dialect()()


SQLITE = _dialect("sqlite://")
POSTGRESQL = _dialect("postgresql+psycopg://")


def test_sqlite_gets_naive_utc_and_reads_back_aware() -> None:
    column = UTCDateTime()
    stored = column.process_bind_param(LOCAL, SQLITE)
    assert stored == AS_UTC.replace(tzinfo=None) and stored.tzinfo is None
    loaded = column.process_result_value(stored, SQLITE)
    assert loaded == LOCAL and loaded is not None and loaded.tzinfo is UTC


def test_postgresql_gets_aware_utc_and_results_are_normalised_to_utc() -> None:
    column = UTCDateTime()
    stored = column.process_bind_param(LOCAL, POSTGRESQL)
    assert stored is not None and stored.tzinfo is UTC and stored == LOCAL
    loaded = column.process_result_value(LOCAL, POSTGRESQL)
    assert loaded is not None and loaded.tzinfo is UTC and loaded.hour == 1


def test_none_passes_through() -> None:
    column = UTCDateTime()
    assert column.process_bind_param(None, SQLITE) is None
    assert column.process_result_value(None, SQLITE) is None


@pytest.mark.parametrize("dialect", [SQLITE, POSTGRESQL], ids=["sqlite", "postgresql"])
def test_naive_datetimes_are_refused(dialect: Dialect) -> None:
    with pytest.raises(ValueError, match="naive"):
        UTCDateTime().process_bind_param(datetime(2026, 11, 27, 9, 30), dialect)


def test_non_datetimes_are_refused() -> None:
    with pytest.raises(TypeError):
        UTCDateTime().process_bind_param("2026-11-27", SQLITE)  # type: ignore[arg-type]
