"""The load benchmark runs end to end in a tiny configuration, so it cannot rot unnoticed.

Real processes on loopback: the frontdesk webhook worker on SQLite and the bare aiogram echo bot, each
driven for a second by a few residents. Only that it works is checked here; figures are in docs/benchmarks.md.
"""

from __future__ import annotations

import asyncio
import math
from pathlib import Path

import pytest

from benchmarks.load_bench import Load, Result, bench_one, median_of, start_fake_bot_api, table

pytestmark = pytest.mark.slow  # two real processes start (aiogram and the NLU load): tens of seconds here


async def test_the_benchmark_drives_the_real_webhook_and_the_echo_bot(tmp_path: Path) -> None:
    runner, api_base = await start_fake_bot_api()
    load = Load(seconds=1.0, concurrency=4, rate=10.0)
    try:
        # Side by side to halve the start-up wait; the real benchmark runs targets one after the other.
        results = await asyncio.gather(
            bench_one("frontdesk, SQLite", api_base, f"sqlite:///{tmp_path}/bench.db", load),
            bench_one("bare aiogram echo bot", api_base, None, load),
        )
    finally:
        await runner.cleanup()
    for result in results:
        assert result.updates_per_s > 0 and 0 < result.p50_ms <= result.p99_ms
        assert math.isfinite(result.rss_mb) and result.rss_mb > 50  # a real Python process was measured
    rendered = table(list(results), load.rate)
    assert "| frontdesk, SQLite |" in rendered and "| bare aiogram echo bot |" in rendered


def test_rounds_are_summarised_by_their_medians() -> None:
    """Several rounds of a target: the median of each figure, the highest RSS, the throughputs' range;
    the echo bot's share is taken between medians."""
    runs = [
        Result("frontdesk, SQLite", updates_per_s=rate, p50_ms=p50, p99_ms=p99, rss_mb=rss)
        for rate, p50, p99, rss in (
            (900.0, 2.0, 6.0, 210.0),
            (1200.0, 3.0, 9.0, 215.0),
            (1000.0, 1.0, 5.0, 205.0),
        )
    ]
    summary = median_of(runs)
    assert (summary.updates_per_s, summary.p50_ms, summary.p99_ms, summary.rss_mb) == (
        1000.0,
        2.0,
        6.0,
        215.0,
    )
    assert (summary.low, summary.high) == (900.0, 1200.0)
    echo = median_of([Result("bare aiogram echo bot", 2500.0, 1.0, 2.0, 180.0)])
    rendered = table([summary, echo], 100.0)
    assert "| frontdesk, SQLite | 1000 (900–1200) | 2.0 | 6.0 | 215 | 40% |" in rendered
    assert "| bare aiogram echo bot | 2500 | 1.0 | 2.0 | 180 | — |" in rendered
