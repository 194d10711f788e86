"""Test doubles for the Telegram tests: an in-memory outbox and message references, a fake monotonic
clock, and a harness that runs the real aiogram polling + OutboxSender + TelegramTransport against the fake
Bot API server."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from types import TracebackType
from typing import Self

from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession

from bot.outbox import OutboxSender, RetryPolicy
from bot.telegram.ratelimit import TelegramLimits, TelegramRateLimiter
from bot.telegram.runner import build_dispatcher, make_bot, run_polling
from bot.telegram.transport import TelegramTransport
from dialogs.clock import FakeClock
from dialogs.messages import ChannelName, IncomingMessage, Outgoing, Reply
from tests.fake_bot_api import FakeBotApi

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@dataclass(frozen=True)
class PendingRow:
    """What `claim` hands out: a snapshot, like a row read from the database."""

    id: int
    message: Outgoing
    attempts: int


@dataclass
class StoredRow:
    id: int
    message: Outgoing
    due_at: datetime
    attempts: int = 0
    lease_until: datetime | None = None
    sent_at: datetime | None = None
    given_up: bool = False
    errors: list[str] = field(default_factory=list)


class InMemoryOutbox:
    """An `OutboxRepository` in a list; `marks` lets tests await the sender's bookkeeping."""

    def __init__(self) -> None:
        self.rows: list[StoredRow] = []
        self.marks: asyncio.Queue[tuple[str, int]] = asyncio.Queue()

    def enqueue(self, *, message: Outgoing, now: datetime) -> int:
        row = StoredRow(id=len(self.rows) + 1, message=message, due_at=now)
        self.rows.append(row)
        return row.id

    def enqueue_many(self, *, messages: Sequence[Outgoing], now: datetime) -> None:
        for message in messages:
            self.enqueue(message=message, now=now)

    def claim(
        self, *, channel: str, now: datetime, limit: int, lease_seconds: int = 60
    ) -> Sequence[PendingRow]:
        claimed: list[PendingRow] = []
        for row in self.rows:
            if len(claimed) >= limit:
                break
            leased = row.lease_until is not None and row.lease_until > now
            open_ = row.sent_at is None and not row.given_up and not leased
            if open_ and row.message.channel == channel and row.due_at <= now:
                row.lease_until = now + timedelta(seconds=lease_seconds)
                claimed.append(PendingRow(id=row.id, message=row.message, attempts=row.attempts))
        return claimed

    def mark_sent(self, *, message_id: int, now: datetime) -> None:
        row = self.rows[message_id - 1]
        row.sent_at, row.lease_until = now, None
        self.marks.put_nowait(("sent", message_id))

    def mark_failed(self, *, message_id: int, now: datetime, error: str, retry_at: datetime | None) -> None:
        row = self.rows[message_id - 1]
        row.attempts += 1
        row.errors.append(error)
        row.lease_until = None
        if retry_at is None:
            row.given_up = True
        else:
            row.due_at = retry_at
        self.marks.put_nowait(("given_up" if retry_at is None else "retry", message_id))

    def release(self, *, message_id: int, retry_at: datetime, reason: str) -> None:
        row = self.rows[message_id - 1]  # not an attempt: `attempts` stays
        row.errors.append(reason)
        row.lease_until, row.due_at = None, retry_at
        self.marks.put_nowait(("retry", message_id))

    def expire(self, *, message_id: int, now: datetime, error: str) -> None:
        row = self.rows[message_id - 1]
        row.errors.append(error)
        row.lease_until = now
        self.marks.put_nowait(("unknown", message_id))

    def take_unknown(self, *, now: datetime, prefix: str, limit: int = 100) -> Sequence[str]:
        taken: list[str] = []
        for row in self.rows:
            once = row.message.once
            expired = row.lease_until is not None and row.lease_until <= now and row.sent_at is None
            if once and once.startswith(prefix) and expired and not row.given_up and len(taken) < limit:
                row.given_up, row.lease_until = True, None
                taken.append(once)
        return taken

    async def next_mark(self, timeout: float = 5) -> tuple[str, int]:  # noqa: ASYNC109
        """The next mark_sent/mark_failed the sender made."""
        async with asyncio.timeout(timeout):
            return await self.marks.get()


class InMemoryMessageRefs:
    """A `MessageRefRepository` in a dict keyed by (channel, chat_id, key)."""

    def __init__(self) -> None:
        self.refs: dict[tuple[str, int, str], int] = {}

    def get(self, *, channel: str, chat_id: int, key: str) -> int | None:
        return self.refs.get((channel, chat_id, key))

    def put(self, *, channel: str, chat_id: int, key: str, message_id: int, now: datetime) -> None:
        self.refs[(channel, chat_id, key)] = message_id


class MemoryUnitOfWork:
    """Just enough of a unit of work for the sender; counts commits so tests see they happen.

    Pass the same `message_refs` to every unit of work of a test for references to persist between them.
    """

    def __init__(self, outbox: InMemoryOutbox, message_refs: InMemoryMessageRefs | None = None) -> None:
        self.outbox = outbox
        self.message_refs = message_refs if message_refs is not None else InMemoryMessageRefs()
        self.commits = 0

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        return None

    def commit(self) -> None:
        self.commits += 1


class FakeMonotonic:
    """A monotonic time source whose `sleep` advances time instead of waiting."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)


Responder = Callable[[IncomingMessage], Awaitable[list[Reply]]]


async def echo(message: IncomingMessage) -> list[Reply]:
    """The default responder: repeat the text."""
    return [Reply(text=f"echo: {message.text}")]


@dataclass
class Harness:
    """A running bot: what it received, the outbox, and the knobs tests turn."""

    api: FakeBotApi
    bot: Bot
    outbox: InMemoryOutbox
    clock: FakeClock
    time: FakeMonotonic
    sender: OutboxSender
    incoming: list[IncomingMessage]
    blocked: list[int]
    blocked_event: asyncio.Event
    message_refs: InMemoryMessageRefs = field(default_factory=InMemoryMessageRefs)

    def incoming_for(self, chat_id: int) -> list[IncomingMessage]:
        return [message for message in self.incoming if message.chat_id == chat_id]


@contextlib.asynccontextmanager
async def running_bot(
    api: FakeBotApi,
    responder: Responder = echo,
    *,
    commands: list[tuple[str, str]] | None = None,
    policy: RetryPolicy | None = None,
) -> AsyncIterator[Harness]:
    """Run polling and the outbox sender until the block ends, then stop both cleanly."""
    bot = make_bot(api.token, api.base_url)
    outbox = InMemoryOutbox()
    message_refs = InMemoryMessageRefs()
    clock = FakeClock(START)
    fake_time = FakeMonotonic()
    blocked: list[int] = []
    blocked_event = asyncio.Event()

    def on_blocked(chat_id: int) -> None:
        blocked.append(chat_id)
        blocked_event.set()

    limiter = TelegramRateLimiter(TelegramLimits(), now=fake_time, sleep=fake_time.sleep)
    sender = OutboxSender(
        lambda: MemoryUnitOfWork(outbox, message_refs),
        TelegramTransport(bot),
        clock,
        limiter=limiter,
        policy=policy,
        on_blocked=on_blocked,
    )
    incoming: list[IncomingMessage] = []

    async def on_message(message: IncomingMessage) -> None:
        incoming.append(message)
        for reply in await responder(message):
            outgoing = Outgoing(channel=ChannelName.TELEGRAM, chat_id=message.chat_id, reply=reply)
            outbox.enqueue(message=outgoing, now=clock.now())
        sender.wake()

    dispatcher = build_dispatcher(on_message)
    stop = asyncio.Event()
    polling = asyncio.create_task(
        run_polling(bot, dispatcher, commands or [], polling_timeout=10, handle_signals=False, stop=stop)
    )
    sending = asyncio.create_task(sender.run(stop, interval=60))
    harness = Harness(
        api, bot, outbox, clock, fake_time, sender, incoming, blocked, blocked_event, message_refs
    )
    try:
        await api.wait_for_calls("getUpdates")
        yield harness
    finally:
        stop.set()
        await asyncio.wait_for(asyncio.gather(sending, polling), 5)
        await close_without_grace(bot)


async def close_without_grace(bot: Bot) -> None:
    """Close the HTTP session without aiogram's 250 ms wall-clock grace sleep (plain HTTP, no TLS)."""
    session = bot.session
    if isinstance(session, AiohttpSession) and session._session is not None:
        await session._session.close()
    await session.close()
