"""Token buckets driven by a fake monotonic clock."""

from __future__ import annotations

import pytest

from bot.telegram.ratelimit import TelegramLimits, TelegramRateLimiter, TokenBucket
from tests.telegram.support import FakeMonotonic


def test_bucket_allows_a_burst_then_refills_at_its_rate() -> None:
    time = FakeMonotonic()
    bucket = TokenBucket(capacity=3, rate=1.0, now=time)
    for _ in range(3):
        assert bucket.delay() == 0
        bucket.take()
    assert bucket.delay() == pytest.approx(1.0)
    time.now += 0.25
    assert bucket.delay() == pytest.approx(0.75)
    time.now += 10
    assert bucket.is_full()  # never more than capacity, however long it idled
    bucket.take()
    assert bucket.delay() == 0


def test_bucket_rejects_nonsense_sizes() -> None:
    with pytest.raises(ValueError):
        TokenBucket(capacity=0, rate=1, now=FakeMonotonic())
    with pytest.raises(ValueError):
        TokenBucket(capacity=1, rate=0, now=FakeMonotonic())


async def test_per_chat_limit_with_small_burst() -> None:
    time = FakeMonotonic()
    limiter = TelegramRateLimiter(now=time, sleep=time.sleep)
    for _ in range(3):
        await limiter.acquire(42)
    assert time.slept == []
    assert limiter.delay(42) == pytest.approx(1.0)
    assert limiter.delay(43) == 0  # another chat has its own bucket
    await limiter.acquire(42)
    assert time.slept == [pytest.approx(1.0)]


async def test_group_chats_get_twenty_per_minute() -> None:
    time = FakeMonotonic()
    limiter = TelegramRateLimiter(now=time, sleep=time.sleep)
    start = time.now
    for _ in range(23):
        await limiter.acquire(-100)
    assert time.now - start == pytest.approx(60.0)  # burst of 3, then 20 more at one per 3 s


async def test_global_limit_spans_all_chats() -> None:
    time = FakeMonotonic()
    limiter = TelegramRateLimiter(TelegramLimits(global_rate=30, global_burst=30), now=time, sleep=time.sleep)
    for chat_id in range(1, 31):
        await limiter.acquire(chat_id)
    assert time.slept == []
    assert limiter.delay(999) == pytest.approx(1 / 30)
    await limiter.acquire(999)
    assert sum(time.slept) == pytest.approx(1 / 30)


async def test_idle_chat_buckets_are_forgotten() -> None:
    time = FakeMonotonic()
    limiter = TelegramRateLimiter(TelegramLimits(max_idle_buckets=10), now=time, sleep=time.sleep)
    for chat_id in range(10):
        await limiter.acquire(chat_id)
    time.now += 60
    await limiter.acquire(100)
    assert len(limiter._chats) == 1
