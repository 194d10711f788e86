"""The outbox sender edits in place: keyed messages, in memory (no database, no HTTP)."""

from __future__ import annotations

from datetime import datetime

from bot.outbox import Delivered, DeliveryResult, Failed, OutboxSender
from dialogs.clock import FakeClock
from dialogs.messages import ChannelName, Outgoing, Reply
from tests.telegram.support import START, InMemoryMessageRefs, InMemoryOutbox, MemoryUnitOfWork

GROUP = -100500
KEY = "ticket:R2611270001"


class RecordingTransport:
    """Delivers with made-up ids (an edit keeps its target's id) unless a result is scripted."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, int | None]] = []
        self.script: list[DeliveryResult] = []
        self._next_id = 100

    @property
    def channel(self) -> ChannelName:
        return ChannelName.TELEGRAM

    async def send(self, message: Outgoing, *, edit_message_id: int | None = None) -> DeliveryResult:
        self.calls.append((message.reply.text, edit_message_id))
        if self.script:
            return self.script.pop(0)
        if edit_message_id is not None:
            return Delivered(external_id=edit_message_id)
        self._next_id += 1
        return Delivered(external_id=self._next_id)


class Setup:
    def __init__(self) -> None:
        self.outbox = InMemoryOutbox()
        self.refs = InMemoryMessageRefs()
        self.clock = FakeClock(START)
        self.transport = RecordingTransport()
        self.uows: list[MemoryUnitOfWork] = []
        self.sender = OutboxSender(self._uow, self.transport, self.clock)

    def _uow(self) -> MemoryUnitOfWork:
        uow = MemoryUnitOfWork(self.outbox, self.refs)
        self.uows.append(uow)
        return uow

    def enqueue(self, text: str, key: str | None = KEY, chat_id: int = GROUP) -> None:
        message = Outgoing(channel=ChannelName.TELEGRAM, chat_id=chat_id, reply=Reply(text=text), key=key)
        self.outbox.enqueue(message=message, now=self.clock.now())


async def test_the_second_keyed_message_edits_the_first() -> None:
    setup = Setup()
    setup.enqueue("v1")
    assert await setup.sender.flush() == 1
    setup.enqueue("v2")
    assert await setup.sender.flush() == 1
    assert setup.transport.calls == [("v1", None), ("v2", 101)]
    assert setup.refs.refs == {("telegram", GROUP, KEY): 101}


async def test_a_keyed_message_later_in_the_same_batch_edits_what_the_first_just_sent() -> None:
    setup = Setup()
    setup.enqueue("v1")
    setup.enqueue("v2")
    setup.enqueue("v3")
    assert await setup.sender.flush() == 3
    assert setup.transport.calls == [("v1", None), ("v2", 101), ("v3", 101)]


async def test_other_keys_chats_and_unkeyed_messages_are_sent_new() -> None:
    setup = Setup()
    setup.enqueue("ticket A")
    setup.enqueue("ticket B", key="ticket:R2611270002")
    setup.enqueue("same key, other chat", chat_id=7)
    setup.enqueue("plain", key=None)
    setup.enqueue("plain again", key=None)
    await setup.sender.flush()
    assert [target for _, target in setup.transport.calls] == [None] * 5
    assert len(setup.refs.refs) == 3  # unkeyed messages leave no reference


async def test_the_reference_is_stored_with_mark_sent_in_one_commit() -> None:
    setup = Setup()
    seen: list[tuple[int, int, bool]] = []
    store = setup.refs.put

    def put(*, channel: str, chat_id: int, key: str, message_id: int, now: datetime) -> None:
        # Which unit of work, how often it had committed, whether the row was already marked sent.
        seen.append((len(setup.uows), setup.uows[-1].commits, setup.outbox.rows[0].sent_at is not None))
        store(channel=channel, chat_id=chat_id, key=key, message_id=message_id, now=now)

    setup.refs.put = put  # type: ignore[method-assign]
    setup.enqueue("v1")
    await setup.sender.flush()
    # uow 1 claims, uow 2 looks the key up (read only), uow 3 marks sent and stores the id, then commits.
    assert seen == [(3, 0, True)]
    assert [uow.commits for uow in setup.uows] == [1, 0, 1]


async def test_a_new_id_reported_for_an_edit_replaces_the_reference() -> None:
    setup = Setup()
    setup.enqueue("v1")
    await setup.sender.flush()
    setup.transport.script = [Delivered(external_id=555)]  # e.g. the target was gone: sent anew
    setup.enqueue("v2")
    setup.enqueue("v3")
    await setup.sender.flush()
    assert setup.transport.calls[1:] == [("v2", 101), ("v3", 555)]
    assert setup.refs.refs == {("telegram", GROUP, KEY): 555}


async def test_failures_and_unknown_ids_keep_the_old_reference() -> None:
    setup = Setup()
    setup.enqueue("v1")
    await setup.sender.flush()
    setup.transport.script = [Failed("bad request", retryable=False), Delivered(external_id=None)]
    setup.enqueue("v2")
    setup.enqueue("v3")
    await setup.sender.flush()
    assert setup.outbox.rows[1].given_up and setup.outbox.rows[2].sent_at is not None
    assert setup.refs.refs == {("telegram", GROUP, KEY): 101}
