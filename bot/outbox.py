"""The outbox sender: delivers stored outgoing messages through a channel transport.

The engine writes replies to the outbox in the same transaction as the change that caused them, so a
crash never loses a reply and never sends one for a change that was rolled back. This module is the other
half: it claims due rows, delivers them in order within the channel's rate limits, and records the outcome
row by row (so a crash mid-batch does not resend what was already delivered). Channel specifics stay behind
`Transport`, which turns every platform error into a `DeliveryResult` the sender knows how to schedule.

A message with a `key` (see `Outgoing.key`) is edited in place: the sender looks up the id of the message
delivered earlier under that key and asks the transport to edit it; the id the transport reports back is
stored under the key in the same transaction as `mark_sent`.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum
from types import TracebackType
from typing import Protocol, Self

from sqlalchemy.exc import InterfaceError, OperationalError

from dialogs.clock import Clock
from dialogs.messages import ChannelName, Outgoing
from dialogs.ports import MessageRefRepository, OutboxRepository, PendingMessage

__all__ = [
    "Blocked",
    "Delivered",
    "DeliveryResult",
    "Failed",
    "OutboxSender",
    "OutboxUnitOfWork",
    "RateLimiter",
    "RetryAfter",
    "RetryPolicy",
    "Transport",
]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Delivered:
    """The channel accepted the message."""

    external_id: int | None = None


@dataclass(frozen=True)
class RetryAfter:
    """The channel asked us to slow down; the row is retried after `seconds` and never given up for it."""

    seconds: float


@dataclass(frozen=True)
class Blocked:
    """The person blocked the bot (Telegram 403): retrying cannot help, the resident is unreachable."""

    description: str = ""


@dataclass(frozen=True)
class Failed:
    """Any other failure; `retryable` separates a network hiccup from a message the channel rejects.

    `maybe_delivered` marks a failure after the request may have reached the channel (a timeout, a dropped
    connection, a 5xx): retrying such an at-most-once row (`Outgoing.once`) could deliver it twice.
    """

    error: str
    retryable: bool
    maybe_delivered: bool = False


DeliveryResult = Delivered | RetryAfter | Blocked | Failed


class Transport(Protocol):
    """Delivers one outgoing message on one channel and never raises for delivery problems."""

    @property
    def channel(self) -> ChannelName: ...

    async def send(self, message: Outgoing, *, edit_message_id: int | None = None) -> DeliveryResult:
        """Send `message`, or replace the message `edit_message_id` of its chat with it when given.

        `Delivered.external_id` is the id of the message now showing it: the edited one, or a new one if
        the channel could not edit (the sender stores whichever it gets under the message's key).
        """
        ...


class RateLimiter(Protocol):
    """Paces deliveries per chat; `delay` lets the sender postpone instead of blocking a whole batch."""

    def delay(self, chat_id: int) -> float:
        """Seconds until a message to this chat may be sent (0 when it may go now)."""
        ...

    async def acquire(self, chat_id: int) -> None:
        """Wait for and take the right to send one message to this chat."""
        ...


class OutboxUnitOfWork(Protocol):
    """The slice of `dialogs.ports.UnitOfWork` the sender needs, so tests can fake only the outbox."""

    @property
    def outbox(self) -> OutboxRepository: ...

    @property
    def message_refs(self) -> MessageRefRepository: ...

    def __enter__(self) -> Self: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    def commit(self) -> None: ...


@dataclass(frozen=True)
class RetryPolicy:
    """How failed deliveries are rescheduled.

    Only `Failed(retryable=True)` counts towards giving up: a 429 or our own postponement is not the
    message's fault, and such a row is released without counting the attempt its claim recorded.
    """

    max_attempts: int = 8
    base_delay: float = 2.0
    max_delay: float = 600.0
    max_rate_wait: float = 2.0
    lease_seconds: int = 60

    def backoff(self, attempts: int) -> float:
        """Exponential delay after the given number of previous attempts."""
        return float(min(self.max_delay, self.base_delay * (2 ** min(attempts, 30))))


BlockedCallback = Callable[[int], Awaitable[None] | None]
# The share of a claim's lease the sender uses for delivering; the rest is margin before a re-claim.
LEASE_USABLE = 0.8
# How long the sender keeps trying to record a delivery while the database is away.
OUTCOME_RETRY_SECONDS = 600.0


class OutboxSender:
    """Claims due outbox rows of one channel and delivers them through its transport."""

    def __init__(
        self,
        uow_factory: Callable[[], OutboxUnitOfWork],
        transport: Transport,
        clock: Clock,
        *,
        limiter: RateLimiter | None = None,
        policy: RetryPolicy | None = None,
        on_blocked: BlockedCallback | None = None,
    ) -> None:
        self._uow_factory = uow_factory
        self._transport = transport
        self._clock = clock
        self._limiter = limiter
        self._policy = policy or RetryPolicy()
        self._on_blocked = on_blocked
        self._wake = asyncio.Event()

    def wake(self) -> None:
        """Ask a running `run` loop to flush now (the engine just enqueued something)."""
        self._wake.set()

    async def run(self, stop: asyncio.Event, interval: float = 1.0, limit: int = 100) -> None:
        """Flush until `stop` is set: at once after a full batch or `wake()`, else every `interval` s."""
        while not stop.is_set():
            self._wake.clear()
            try:
                delivered = await self.flush(limit=limit)
            except Exception:
                logger.exception("outbox flush failed", extra={"channel": str(self._transport.channel)})
                delivered = 0
            if delivered >= limit:
                continue
            await _wait_any(stop, self._wake, interval)

    async def flush(self, limit: int = 100) -> int:
        """Deliver up to `limit` due rows in id order; returns how many were delivered."""
        held: dict[int, _Hold] = {}
        delivered = 0
        loop = asyncio.get_running_loop()
        # Past this point of the lease another sender may re-claim the rows: hand the rest back instead.
        deadline = loop.time() + self._policy.lease_seconds * LEASE_USABLE
        # Claims, edit targets and delivery outcomes run off the event loop (a PostgreSQL commit waits for
        # its WAL flush, and the loop meanwhile keeps taking updates); the rarer hand-backs stay on it.
        for row in await asyncio.to_thread(self._claim, limit):
            chat_id = row.message.chat_id
            if chat_id in held:
                hold = held[chat_id]
                if hold.retry_at is None:
                    self._mark_failed(row, hold.reason, None)
                else:
                    self._release(row, hold.retry_at, hold.reason)
                continue
            if loop.time() > deadline:
                self._release(row, self._clock.now(), "batch outlived its lease")
                continue
            outcome = await self._deliver(row)
            if outcome is _DELIVERED:
                delivered += 1
            elif isinstance(outcome, _Hold):
                held[chat_id] = outcome
                if outcome.blocked:
                    await self._report_blocked(chat_id)
        return delivered

    def _claim(self, limit: int) -> list[PendingMessage]:
        with self._uow_factory() as uow:
            rows = list(
                uow.outbox.claim(
                    channel=str(self._transport.channel),
                    now=self._clock.now(),
                    limit=limit,
                    lease_seconds=self._policy.lease_seconds,
                )
            )
            uow.commit()
        return sorted(rows, key=lambda row: row.id)

    async def _deliver(self, row: PendingMessage) -> _Outcome:
        """Send one row and record the outcome; a returned hold stops the rest of its chat's batch."""
        chat_id = row.message.chat_id
        if self._limiter is not None:
            wait = self._limiter.delay(chat_id)
            if wait > self._policy.max_rate_wait:
                return self._postpone(row, wait, "rate limited", counts=False)
            await self._limiter.acquire(chat_id)
        edit_message_id = await asyncio.to_thread(self._edit_target, row.message) if row.message.key else None
        try:
            result = await self._transport.send(row.message, edit_message_id=edit_message_id)
        except Exception as exc:  # a transport must not raise; if it does, treat it as a hiccup
            logger.exception("transport raised", extra={"outbox_id": row.id})
            result = Failed(error=f"{type(exc).__name__}: {exc}", retryable=True, maybe_delivered=True)
        return await self._settle_durably(row, result)

    async def _settle_durably(self, row: PendingMessage, result: DeliveryResult) -> _Outcome:
        """Record the outcome, waiting out a database outage: the message has left, and giving up on the
        record would leave the row leased, to be sent a second time once the lease runs out."""
        delay = 0.5
        give_up_at = asyncio.get_running_loop().time() + OUTCOME_RETRY_SECONDS
        while True:
            try:
                return await asyncio.to_thread(self._settle, row, result)
            except (OperationalError, InterfaceError):
                if asyncio.get_running_loop().time() > give_up_at:
                    raise
                logger.warning(
                    "database unavailable, delivery outcome not yet recorded", extra={"outbox_id": row.id}
                )
                await asyncio.sleep(delay)
                delay = min(delay * 2, 10.0)

    def _settle(self, row: PendingMessage, result: DeliveryResult) -> _Outcome:
        match result:
            case Delivered(external_id=external_id):
                self._mark_sent(row, external_id)
                return _DELIVERED
            case RetryAfter(seconds=seconds):
                return self._postpone(row, seconds, f"retry after {seconds:g}s", counts=False)
            case Blocked(description=description):
                self._mark_failed(row, f"blocked: {description}", None)
                return _Hold(retry_at=None, reason="blocked", blocked=True)
            case Failed(error=error, maybe_delivered=True) if row.message.once is not None:
                # Perhaps delivered: never sent again, but reviewed like a sender that died mid-send.
                logger.warning("at-most-once delivery unknown", extra={"outbox_id": row.id, "error": error})
                self._expire(row, error)
                return _GIVEN_UP
            case Failed(error=error, retryable=True) if row.attempts + 1 < self._policy.max_attempts:
                return self._postpone(row, self._policy.backoff(row.attempts), error)
            case Failed(error=error):
                # Only this message is at fault: later messages to the chat still go out.
                logger.warning("outbox message given up", extra={"outbox_id": row.id, "error": error})
                self._mark_failed(row, error, None)
                return _GIVEN_UP

    def _postpone(self, row: PendingMessage, seconds: float, reason: str, *, counts: bool = True) -> _Hold:
        """Retry the row after `seconds`; only a failure of the message itself `counts` towards giving up
        (our own pacing and Telegram's 429 say nothing about the message)."""
        retry_at = self._clock.now() + timedelta(seconds=seconds)
        if counts:
            self._mark_failed(row, reason, retry_at)
        else:
            self._release(row, retry_at, reason)
        return _Hold(retry_at=retry_at, reason=f"earlier message: {reason}")

    def _release(self, row: PendingMessage, retry_at: datetime, reason: str) -> None:
        with self._uow_factory() as uow:
            uow.outbox.release(message_id=row.id, retry_at=retry_at, reason=reason)
            uow.commit()

    def _expire(self, row: PendingMessage, error: str) -> None:
        with self._uow_factory() as uow:
            uow.outbox.expire(message_id=row.id, now=self._clock.now(), error=error)
            uow.commit()

    def _edit_target(self, message: Outgoing) -> int | None:
        """The message delivered earlier under this message's key, if any (looked up per message, so a
        second keyed message in the same batch edits what the first one just sent)."""
        if message.key is None:
            return None
        with self._uow_factory() as uow:
            return uow.message_refs.get(
                channel=str(message.channel), chat_id=message.chat_id, key=message.key
            )

    def _mark_sent(self, row: PendingMessage, external_id: int | None) -> None:
        message = row.message
        now = self._clock.now()
        with self._uow_factory() as uow:
            uow.outbox.mark_sent(message_id=row.id, now=now)
            if message.key is not None and external_id is not None:
                uow.message_refs.put(
                    channel=str(message.channel),
                    chat_id=message.chat_id,
                    key=message.key,
                    message_id=external_id,
                    now=now,
                )
            uow.commit()
        logger.debug("outbox message delivered", extra={"outbox_id": row.id})

    def _mark_failed(self, row: PendingMessage, error: str, retry_at: datetime | None) -> None:
        with self._uow_factory() as uow:
            uow.outbox.mark_failed(message_id=row.id, now=self._clock.now(), error=error, retry_at=retry_at)
            uow.commit()

    async def _report_blocked(self, chat_id: int) -> None:
        logger.info("chat blocked the bot", extra={"chat_id": chat_id})
        if self._on_blocked is None:
            return
        try:
            outcome = self._on_blocked(chat_id)
            if inspect.isawaitable(outcome):
                await outcome
        except Exception:
            logger.exception("on_blocked callback failed", extra={"chat_id": chat_id})


@dataclass(frozen=True)
class _Hold:
    """Why the rest of a chat's batch must not be sent now (per-chat order), and when it may be retried.

    `retry_at` None means the later rows share the fate of the earlier one and are given up (blocked bot).
    """

    retry_at: datetime | None
    reason: str
    blocked: bool = False


class _Settled(Enum):
    DELIVERED = "delivered"
    GIVEN_UP = "given up"


_DELIVERED = _Settled.DELIVERED
_GIVEN_UP = _Settled.GIVEN_UP
_Outcome = _Hold | _Settled


async def _wait_any(stop: asyncio.Event, wake: asyncio.Event, interval: float) -> None:
    """Return when either event is set or after `interval` seconds."""
    waiters = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(wake.wait())]
    try:
        await asyncio.wait(waiters, timeout=interval, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()
        for waiter in waiters:
            with contextlib.suppress(asyncio.CancelledError):
                await waiter
