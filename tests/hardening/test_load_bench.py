"""The load benchmark runs end to end in a tiny configuration, so it cannot rot unnoticed.

Real processes on loopback: the frontdesk webhook worker on SQLite and the bare aiogram echo bot, each
driven for a second by a few residents. Only that it works is checked here; figures are in docs/benchmarks.md.
"""

from __future__ import annotations

import asyncio
import math
from pathlib import Path

import pytest

from benchmarks.load_bench import Load, bench_one, start_fake_bot_api, table

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
