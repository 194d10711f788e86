"""Token buckets that keep outgoing traffic inside Telegram's flood limits.

Telegram allows about 30 messages per second per bot, about one per second per chat, and 20 per minute in
a group. Going over earns a 429 and, if repeated, longer bans, so the sender paces itself instead of
relying on retries. A small per-chat burst lets a 2–3 message answer go out without a visible delay.
Time and sleeping are injected so tests drive the buckets without waiting on the wall clock.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

__all__ = ["TelegramLimits", "TelegramRateLimiter", "TokenBucket"]

MonotonicClock = Callable[[], float]
_EPSILON = 1e-9  # float refills land a hair below whole tokens; without slack a wait could never end
Sleep = Callable[[float], Awaitable[None]]


class TokenBucket:
    """`capacity` tokens, refilled continuously at `rate` tokens per second; one token per message."""

    def __init__(self, *, capacity: float, rate: float, now: MonotonicClock) -> None:
        if capacity < 1 or rate <= 0:
            raise ValueError("a bucket needs capacity >= 1 and a positive rate")
        self._capacity = capacity
        self._rate = rate
        self._now = now
        self._tokens = capacity
        self._updated = now()

    def _refill(self) -> None:
        current = self._now()
        elapsed = max(0.0, current - self._updated)
        self._tokens = min(self._capacity, self._tokens + elapsed * self._rate)
        self._updated = current

    def delay(self) -> float:
        """Seconds until one token is available (0 when one is available now)."""
        self._refill()
        return 0.0 if self._tokens >= 1 - _EPSILON else (1 - self._tokens) / self._rate

    def take(self) -> None:
        """Consume a token; callers check `delay()` first (the balance may go negative otherwise)."""
        self._refill()
        self._tokens -= 1

    def is_full(self) -> bool:
        """An idle bucket carries no state worth keeping."""
        self._refill()
        return self._tokens >= self._capacity - _EPSILON


@dataclass(frozen=True)
class TelegramLimits:
    """Telegram's published limits, as bucket sizes and refill rates (configurable for other servers)."""

    global_rate: float = 30.0
    global_burst: float = 30.0
    chat_rate: float = 1.0
    chat_burst: float = 3.0
    group_rate: float = 20.0 / 60.0
    group_burst: float = 3.0
    max_idle_buckets: int = 10_000


class TelegramRateLimiter:
    """A global bucket plus one bucket per chat (groups, with negative ids, get the slower group bucket)."""

    def __init__(
        self,
        limits: TelegramLimits | None = None,
        *,
        now: MonotonicClock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self._limits = limits or TelegramLimits()
        self._now = now
        self._sleep = sleep
        self._global = TokenBucket(capacity=self._limits.global_burst, rate=self._limits.global_rate, now=now)
        self._chats: dict[int, TokenBucket] = {}

    def _bucket(self, chat_id: int) -> TokenBucket:
        bucket = self._chats.get(chat_id)
        if bucket is None:
            self._prune()
            limits = self._limits
            if chat_id < 0:
                bucket = TokenBucket(capacity=limits.group_burst, rate=limits.group_rate, now=self._now)
            else:
                bucket = TokenBucket(capacity=limits.chat_burst, rate=limits.chat_rate, now=self._now)
            self._chats[chat_id] = bucket
        return bucket

    def _prune(self) -> None:
        """Forget idle chats so the map does not grow with every resident who ever wrote."""
        if len(self._chats) >= self._limits.max_idle_buckets:
            for chat_id in [key for key, bucket in self._chats.items() if bucket.is_full()]:
                del self._chats[chat_id]

    def delay(self, chat_id: int) -> float:
        """Seconds until a message to this chat is allowed by both its bucket and the global one."""
        return max(self._bucket(chat_id).delay(), self._global.delay())

    async def acquire(self, chat_id: int) -> None:
        """Wait until both buckets allow a message, then take a token from each."""
        bucket = self._bucket(chat_id)
        while (wait := max(bucket.delay(), self._global.delay())) > 0:
            await self._sleep(wait)
        bucket.take()
        self._global.take()
