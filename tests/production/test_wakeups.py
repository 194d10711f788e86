"""Outbox nudges over the real Redis at 127.0.0.1:6379: a publish wakes the listener; without Redis the
publisher only logs (the worker's polling finds the rows)."""

from __future__ import annotations

import asyncio
import secrets

import pytest
from redis.asyncio import Redis
from redis.exceptions import RedisError

from bot.wakeups import RedisWakeups

REDIS = "redis://127.0.0.1:6379/15"


async def redis_available() -> bool:
    client: Redis = Redis.from_url(REDIS, socket_connect_timeout=1)
    try:
        return bool(await client.ping())
    except (RedisError, OSError):
        return False
    finally:
        await client.aclose()


async def test_a_nudge_wakes_the_listener() -> None:
    if not await redis_available():
        pytest.skip("Redis unreachable at 127.0.0.1:6379")
    channel = f"frontdesk:test:{secrets.token_hex(4)}"
    publisher, listener = RedisWakeups(REDIS, channel=channel), RedisWakeups(REDIS, channel=channel)
    woken = asyncio.Event()
    stop = asyncio.Event()
    task = asyncio.create_task(listener.listen(woken.set, stop))
    try:
        async with asyncio.timeout(10):
            while not woken.is_set():  # the subscription may not be up yet: nudge until heard
                publisher.notify()
                await asyncio.sleep(0.1)
    finally:
        stop.set()
        await asyncio.wait_for(task, 5)
        await publisher.close()
        await listener.close()


async def test_without_redis_a_nudge_is_dropped_quietly(caplog: pytest.LogCaptureFixture) -> None:
    publisher = RedisWakeups("redis://127.0.0.1:1/0")  # nothing listens on port 1
    publisher.notify()
    await publisher.close()
    assert "outbox nudge not published" in caplog.text
