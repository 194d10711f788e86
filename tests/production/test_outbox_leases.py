"""The sender and its lease: a batch that would outlive its lease hands the rest back unsent (another
sender may re-claim them), pacing does not count as an attempt, and a delivery whose record fails while
the database is away is recorded once it returns instead of being left to be sent again."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy.exc import OperationalError

from bot.outbox import Delivered, DeliveryResult, OutboxSender, RetryAfter, RetryPolicy
from dialogs.clock import FakeClock
from dialogs.messages import ChannelName, Outgoing, Reply
from tests.telegram.support import START, InMemoryOutbox, MemoryUnitOfWork


class SlowTransport:
    """Takes `seconds` per message; answers each chat's scripted results first, then Delivered."""

    def __init__(self, seconds: float = 0.0) -> None:
        self.seconds = seconds
        self.sent: list[str] = []
        self.script: dict[int, list[DeliveryResult]] = {}

    @property
    def channel(self) -> ChannelName:
        return ChannelName.TELEGRAM

    async def send(self, message: Outgoing, *, edit_message_id: int | None = None) -> DeliveryResult:
        await asyncio.sleep(self.seconds)
        pending = self.script.get(message.chat_id)
        if pending:
            return pending.pop(0)
        self.sent.append(message.reply.text)
        return Delivered(external_id=len(self.sent))


def enqueue(outbox: InMemoryOutbox, clock: FakeClock, chat_id: int, text: str) -> None:
    outbox.enqueue(message=Outgoing(ChannelName.TELEGRAM, chat_id, Reply(text=text)), now=clock.now())


async def test_a_batch_hands_back_what_it_cannot_send_within_its_lease() -> None:
    outbox, clock = InMemoryOutbox(), FakeClock(START)
    for chat_id, text in ((1, "a"), (2, "b"), (3, "c"), (4, "d")):
        enqueue(outbox, clock, chat_id, text)
    transport = SlowTransport(seconds=0.35)
    sender = OutboxSender(
        lambda: MemoryUnitOfWork(outbox), transport, clock, policy=RetryPolicy(lease_seconds=1)
    )
    # 0.8 s of the 1 s lease is usable: "a" and "b" start in time, "c" would start at 0.7 s, "d" at 1.05 s.
    assert await sender.flush() == 3
    assert transport.sent == ["a", "b", "c"]
    assert (
        outbox.rows[3].sent_at is None and outbox.rows[3].attempts == 0 and outbox.rows[3].lease_until is None
    )
    assert await sender.flush() == 1 and transport.sent[-1] == "d"


async def test_a_429_is_not_an_attempt() -> None:
    outbox, clock = InMemoryOutbox(), FakeClock(START)
    enqueue(outbox, clock, 1, "a")
    transport = SlowTransport()
    transport.script[1] = [RetryAfter(seconds=3)] * 10
    sender = OutboxSender(
        lambda: MemoryUnitOfWork(outbox), transport, clock, policy=RetryPolicy(max_attempts=2)
    )
    for _ in range(10):
        await sender.flush()
        clock.advance(timedelta(seconds=3))
    assert await sender.flush() == 1 and outbox.rows[0].attempts == 0  # ten 429s, never given up


async def test_a_delivery_is_recorded_once_the_database_is_back() -> None:
    outbox, clock = InMemoryOutbox(), FakeClock(START)
    enqueue(outbox, clock, 1, "a")
    mark_sent = outbox.mark_sent
    failures = [1, 1]

    def flaky_mark_sent(**kwargs: object) -> None:
        if failures:
            failures.pop()
            raise OperationalError("UPDATE outbox", {}, ConnectionRefusedError("database away"))
        mark_sent(**kwargs)  # type: ignore[arg-type]

    outbox.mark_sent = flaky_mark_sent  # type: ignore[method-assign]
    transport = SlowTransport()
    sender = OutboxSender(lambda: MemoryUnitOfWork(outbox), transport, clock)
    assert await sender.flush() == 1
    assert transport.sent == ["a"] and outbox.rows[0].sent_at is not None and not failures
