"""Waking the sender worker over Redis when a webhook worker has stored replies.

Webhook workers leave delivery to `frontdesk worker`, which otherwise finds new outbox rows only by polling.
A Redis publish after each commit wakes it at once (a reply goes out within milliseconds instead of up to
one polling interval). Redis carries only the nudge, never the message: the outbox in PostgreSQL stays
the truth, so a lost nudge (Redis away, a restart) just means the next poll finds the rows.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

from redis.asyncio import Redis
from redis.exceptions import RedisError

__all__ = ["CHANNEL", "RedisWakeups"]

log = logging.getLogger(__name__)

CHANNEL = "frontdesk:outbox"


class RedisWakeups:
    """Publishes and receives outbox nudges on one Redis channel."""

    def __init__(self, url: str, *, channel: str = CHANNEL) -> None:
        self._redis: Redis = Redis.from_url(url, socket_connect_timeout=2, socket_timeout=None)
        self._channel = channel
        self._pending: set[asyncio.Task[None]] = set()

    def notify(self) -> None:
        """Nudge the worker (fire and forget: the handler that calls this has already committed)."""
        task = asyncio.get_running_loop().create_task(self._publish())
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def _publish(self) -> None:
        try:
            await self._redis.publish(self._channel, b"1")
        except (RedisError, OSError) as error:
            log.warning(
                "outbox nudge not published, the worker's poll will find it: %s", type(error).__name__
            )

    async def listen(self, on_wake: Callable[[], None], stop: asyncio.Event) -> None:
        """Call `on_wake` for every nudge until `stop`; reconnects after Redis errors (polling fills gaps)."""
        delay = 0.5
        while not stop.is_set():
            try:
                async with self._redis.pubsub(ignore_subscribe_messages=True) as pubsub:
                    await pubsub.subscribe(self._channel)
                    delay = 0.5
                    while not stop.is_set():
                        message = await pubsub.get_message(timeout=1.0)
                        if message is not None:
                            on_wake()
            except (RedisError, OSError) as error:
                log.warning("outbox nudges unavailable, polling only: %s", type(error).__name__)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=delay)
                delay = min(delay * 2, 30.0)

    async def close(self) -> None:
        """Wait for nudges in flight, then close the connection pool."""
        if self._pending:
            await asyncio.gather(*self._pending, return_exceptions=True)
        await self._redis.aclose()
