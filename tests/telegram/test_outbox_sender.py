"""OutboxSender scheduling with a scripted transport (no HTTP): outcomes, order, backoff, pacing."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from bot.outbox import Blocked, Delivered, DeliveryResult, Failed, OutboxSender, RetryAfter, RetryPolicy
from bot.telegram.ratelimit import TelegramLimits, TelegramRateLimiter
from dialogs.clock import FakeClock
from dialogs.messages import ChannelName, Outgoing, Reply
from tests.telegram.support import START, FakeMonotonic, InMemoryOutbox, MemoryUnitOfWork


class ScriptedTransport:
    """Answers each send with the next scripted result for its chat (Delivered when the script runs out)."""

    def __init__(self, channel: ChannelName = ChannelName.TELEGRAM) -> None:
        self._channel = channel
        self.script: dict[int, list[DeliveryResult | Exception]] = {}
        self.sent: list[tuple[int, str]] = []
        self.attempted: list[tuple[int, str]] = []
        self.edit_targets: list[int | None] = []

    @property
    def channel(self) -> ChannelName:
        return self._channel

    async def send(self, message: Outgoing, *, edit_message_id: int | None = None) -> DeliveryResult:
        self.attempted.append((message.chat_id, message.reply.text))
        self.edit_targets.append(edit_message_id)
        pending = self.script.get(message.chat_id)
        result = pending.pop(0) if pending else Delivered(external_id=len(self.sent) + 1)
        if isinstance(result, Exception):
            raise result
        if isinstance(result, Delivered):
            self.sent.append((message.chat_id, message.reply.text))
        return result


class Setup:
    def __init__(self, *, policy: RetryPolicy | None = None, limited: bool = False) -> None:
        self.outbox = InMemoryOutbox()
        self.clock = FakeClock(START)
        self.transport = ScriptedTransport()
        self.time = FakeMonotonic()
        self.blocked: list[int] = []
        limiter = (
            TelegramRateLimiter(TelegramLimits(), now=self.time, sleep=self.time.sleep) if limited else None
        )
        self.uows: list[MemoryUnitOfWork] = []
        self.sender = OutboxSender(
            self._uow,
            self.transport,
            self.clock,
            limiter=limiter,
            policy=policy,
            on_blocked=self.blocked.append,
        )

    def _uow(self) -> MemoryUnitOfWork:
        uow = MemoryUnitOfWork(self.outbox)
        self.uows.append(uow)
        return uow

    def enqueue(self, chat_id: int, text: str, channel: ChannelName = ChannelName.TELEGRAM) -> int:
        message = Outgoing(channel=channel, chat_id=chat_id, reply=Reply(text=text))
        return self.outbox.enqueue(message=message, now=self.clock.now())


async def test_delivers_due_rows_of_its_channel_in_id_order_and_commits() -> None:
    setup = Setup()
    setup.enqueue(1, "a")
    setup.enqueue(2, "b")
    setup.enqueue(1, "console", channel=ChannelName.CONSOLE)
    setup.enqueue(1, "c")

    assert await setup.sender.flush() == 3
    assert setup.transport.sent == [(1, "a"), (2, "b"), (1, "c")]
    assert setup.outbox.rows[2].sent_at is None  # another channel's row is left alone
    assert all(uow.commits == 1 for uow in setup.uows)  # claim and every mark committed
    assert await setup.sender.flush() == 0  # nothing is sent twice


async def test_retry_after_postpones_the_row_and_the_rest_of_its_chat_only() -> None:
    setup = Setup()
    setup.transport.script[1] = [RetryAfter(seconds=5)]
    setup.enqueue(1, "first")
    setup.enqueue(2, "other chat")
    setup.enqueue(1, "second")

    assert await setup.sender.flush() == 1
    assert setup.transport.sent == [(2, "other chat")]
    assert setup.transport.attempted.count((1, "second")) == 0  # not sent ahead of "first"
    due = START + timedelta(seconds=5)
    assert [row.due_at for row in setup.outbox.rows if row.message.chat_id == 1] == [due, due]

    setup.clock.advance(timedelta(seconds=5))
    assert await setup.sender.flush() == 2
    assert setup.transport.sent[1:] == [(1, "first"), (1, "second")]


async def test_retryable_failures_back_off_exponentially_then_give_up() -> None:
    setup = Setup(policy=RetryPolicy(max_attempts=3, base_delay=2.0))
    setup.transport.script[1] = [Failed("timeout", retryable=True)] * 3
    setup.enqueue(1, "a")

    await setup.sender.flush()
    row = setup.outbox.rows[0]
    assert row.due_at == START + timedelta(seconds=2)
    setup.clock.advance(timedelta(seconds=2))
    await setup.sender.flush()
    assert row.due_at == START + timedelta(seconds=2 + 4)
    setup.clock.advance(timedelta(seconds=4))
    await setup.sender.flush()
    assert row.given_up and row.attempts == 3
    setup.clock.advance(timedelta(days=1))
    assert await setup.sender.flush() == 0
    assert len(setup.transport.attempted) == 3


async def test_a_rejected_message_is_dropped_but_later_ones_to_the_chat_still_go() -> None:
    setup = Setup()
    setup.transport.script[1] = [Failed("Bad Request: message text is empty", retryable=False)]
    setup.enqueue(1, "bad")
    setup.enqueue(1, "good")

    assert await setup.sender.flush() == 1
    assert setup.outbox.rows[0].given_up
    assert setup.transport.sent == [(1, "good")]


async def test_blocked_reports_the_chat_once_and_gives_up_its_rows() -> None:
    setup = Setup()
    setup.transport.script[1] = [Blocked("Forbidden: bot was blocked by the user")]
    setup.enqueue(1, "a")
    setup.enqueue(1, "b")
    setup.enqueue(2, "c")

    assert await setup.sender.flush() == 1
    assert setup.blocked == [1]
    assert [row.given_up for row in setup.outbox.rows] == [True, True, False]
    assert setup.transport.attempted == [(1, "a"), (2, "c")]


async def test_async_on_blocked_callback_is_awaited_and_its_errors_do_not_stop_the_batch() -> None:
    setup = Setup()
    seen: list[int] = []

    async def record_then_fail(chat_id: int) -> None:
        seen.append(chat_id)
        raise RuntimeError("database down")

    sender = OutboxSender(
        lambda: MemoryUnitOfWork(setup.outbox), setup.transport, setup.clock, on_blocked=record_then_fail
    )
    setup.transport.script[1] = [Blocked()]
    setup.enqueue(1, "a")
    setup.enqueue(2, "b")

    assert await sender.flush() == 1
    assert seen == [1]


async def test_a_raising_transport_counts_as_a_retryable_failure() -> None:
    setup = Setup()
    setup.transport.script[1] = [ConnectionResetError("peer reset")]
    setup.enqueue(1, "a")

    assert await setup.sender.flush() == 0
    row = setup.outbox.rows[0]
    assert not row.given_up and row.due_at > START
    assert "ConnectionResetError" in row.errors[0]


async def test_rate_limits_pace_a_burst_without_wall_clock_sleeps() -> None:
    setup = Setup(limited=True)
    for n in range(5):
        setup.enqueue(1, str(n))

    assert await setup.sender.flush() == 5
    assert setup.transport.sent == [(1, str(n)) for n in range(5)]
    assert sum(setup.time.slept) == 2.0  # burst of 3, then one per second


async def test_a_chat_far_over_its_limit_is_postponed_not_waited_for() -> None:
    setup = Setup(limited=True, policy=RetryPolicy(max_rate_wait=2.0))
    group = -500
    for n in range(6):
        setup.enqueue(group, str(n))
    setup.enqueue(7, "private")

    delivered = await setup.sender.flush()
    # The group bucket holds 3 and refills every 3 s: waiting for the 4th would exceed max_rate_wait.
    assert delivered == 4
    assert setup.transport.sent == [(group, "0"), (group, "1"), (group, "2"), (7, "private")]
    postponed = [row for row in setup.outbox.rows if row.sent_at is None]
    assert len(postponed) == 3 and not any(row.given_up for row in postponed)
    assert all(row.due_at == START + timedelta(seconds=3) for row in postponed)


async def test_run_flushes_on_wake_and_stops_on_the_event() -> None:
    setup = Setup()
    stop = asyncio.Event()
    task = asyncio.create_task(setup.sender.run(stop, interval=3600))
    setup.enqueue(1, "a")
    setup.sender.wake()
    assert await setup.outbox.next_mark() == ("sent", 1)
    stop.set()
    await asyncio.wait_for(task, 5)
    assert setup.transport.sent == [(1, "a")]


async def test_run_survives_a_failing_flush() -> None:
    setup = Setup()
    calls: list[int] = []

    def broken() -> MemoryUnitOfWork:
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("database locked")
        return MemoryUnitOfWork(setup.outbox)

    sender = OutboxSender(broken, setup.transport, setup.clock)
    stop = asyncio.Event()
    setup.enqueue(1, "a")
    task = asyncio.create_task(sender.run(stop, interval=3600))
    await asyncio.sleep(0)
    sender.wake()
    assert await setup.outbox.next_mark() == ("sent", 1)
    stop.set()
    await asyncio.wait_for(task, 5)
