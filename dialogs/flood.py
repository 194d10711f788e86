"""A per-person flood limit, checked before the engine touches the database.

One person sending dozens of messages a second (a stuck key, a script, a pasted list sent line by line)
would otherwise cost an NLU parse and a transaction per message and drown the staff queues. Each person gets
a token bucket: a burst of `burst` messages, then `per_minute` messages a minute. A message over the limit is
not processed at all, so it can never have created a ticket or changed a conversation; the open question
stays open and the person may simply send again later. The person is told once per flood window (not once
per dropped message, which would itself be a flood), and a dropped button press is answered with a pop-up.

Time comes from the caller (the engine's injected clock), so tests drive the buckets without waiting.
The buckets live in this process: with several webhook workers behind a load balancer each worker keeps its
own, so the effective limit is up to N times looser, which still stops a flood from one person. A shared
store (Redis) would make it exact; it is not needed for the purpose.
"""

from __future__ import annotations

import threading
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

__all__ = ["FloodGuard", "FloodLimits", "FloodVerdict"]


class FloodVerdict(StrEnum):
    """What to do with one message."""

    ADMIT = "admit"  # process it as usual
    NOTIFY = "notify"  # over the limit: drop it and tell the person (first drop of a flood window)
    DROP = "drop"  # over the limit, already told: drop it silently


@dataclass(frozen=True)
class FloodLimits:
    """Bucket size and refill, and how long one notice covers.

    The defaults let a person type fast for a while (a repair report is 5–8 messages, a few of them button
    presses) and still stop anything that looks scripted.
    """

    burst: int = 12
    per_minute: float = 30.0
    notice_window: timedelta = timedelta(seconds=60)
    max_tracked: int = (
        50_000  # people with a partly used bucket kept in memory before idle ones are forgotten
    )

    def __post_init__(self) -> None:
        if self.burst < 1 or self.per_minute <= 0:
            raise ValueError("a flood limit needs burst >= 1 and a positive rate")


@dataclass
class _Bucket:
    tokens: float
    updated: datetime
    noticed_at: datetime | None = None


class FloodGuard:
    """Token buckets keyed by (channel, person); `check` decides and consumes in one step."""

    def __init__(self, limits: FloodLimits | None = None, *, channels: Collection[str] | None = None) -> None:
        """`channels` limits the guard to those channels (None: all); the local console needs no limit."""
        self.limits = limits or FloodLimits()
        self._channels = frozenset(channels) if channels is not None else None
        self._buckets: dict[tuple[str, int], _Bucket] = {}
        self._lock = (
            threading.Lock()
        )  # the engine runs in worker threads; refill-and-take must not interleave

    def applies_to(self, channel: str) -> bool:
        """Whether messages on `channel` are limited."""
        return self._channels is None or channel in self._channels

    def check(self, channel: str, user_id: int, now: datetime) -> FloodVerdict:
        """Take a token for this message if there is one; otherwise say whether to notify."""
        if not self.applies_to(channel):
            return FloodVerdict.ADMIT
        with self._lock:
            key = (channel, user_id)
            bucket = self._buckets.get(key)
            if bucket is None:
                self._prune(now)
                bucket = self._buckets[key] = _Bucket(tokens=float(self.limits.burst), updated=now)
            self._refill(bucket, now)
            if bucket.tokens >= 1:
                bucket.tokens -= 1
                return FloodVerdict.ADMIT
            if bucket.noticed_at is not None and now - bucket.noticed_at < self.limits.notice_window:
                return FloodVerdict.DROP
            bucket.noticed_at = now
            return FloodVerdict.NOTIFY

    def refund(self, channel: str, user_id: int) -> None:
        """Give back the token of an admitted message that was not processed after all (the database was
        away, or it was a redelivery): an outage must not make a later backlog look like a flood."""
        if not self.applies_to(channel):
            return
        with self._lock:
            bucket = self._buckets.get((channel, user_id))
            if bucket is not None:
                bucket.tokens = min(float(self.limits.burst), bucket.tokens + 1)

    def retry_after(self, channel: str, user_id: int, now: datetime) -> int:
        """Whole seconds until this person may send again (at least 1), for the notice."""
        with self._lock:
            bucket = self._buckets.get((channel, user_id))
            if bucket is None:
                return 1
            self._refill(bucket, now)
            missing = max(0.0, 1 - bucket.tokens)
        return max(1, int(missing * 60 / self.limits.per_minute + 0.999))

    @property
    def tracked(self) -> int:
        """People currently holding a bucket (for tests and metrics)."""
        return len(self._buckets)

    def _refill(self, bucket: _Bucket, now: datetime) -> None:
        elapsed = max(0.0, (now - bucket.updated).total_seconds())
        bucket.tokens = min(float(self.limits.burst), bucket.tokens + elapsed * self.limits.per_minute / 60)
        bucket.updated = max(bucket.updated, now)

    def _prune(self, now: datetime) -> None:
        """Forget people whose bucket is full again: they carry no state worth keeping."""
        if len(self._buckets) < self.limits.max_tracked:
            return
        for key, bucket in list(self._buckets.items()):
            self._refill(bucket, now)
            if bucket.tokens >= self.limits.burst:
                del self._buckets[key]
