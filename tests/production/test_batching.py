"""Group commit: updates handled together in one transaction behave exactly as one by one, a failing
update is redone alone without costing the others, and each waiting caller gets its own outcome."""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import event

from bot.app import App, build_app
from bot.settings import Settings, repo_root
from bot.telegram.batching import TurnBatcher
from dialogs.clock import FakeClock
from dialogs.flood import FloodLimits
from dialogs.messages import ChannelName, IncomingMessage, Outgoing
from dialogs.nlu.feedback import FeedbackReader
from dialogs.nlu.types import NluBackend, ParseResult
from dialogs.ports import UnitOfWork
from dialogs.text import MAX_TEXT
from storage.repos_updates import SqlChatLocks
from tests.conftest import START

TEXTS = ("你好", "物业费怎么交？", "建议小区多装几个电动车充电桩", "/mytickets", "谢谢", "停车证怎么办理")


def updates(first_update: int = 1) -> list[IncomingMessage]:
    """Six residents, one message each (different chats, as the dispatcher's chat lock guarantees)."""
    ids = itertools.count(first_update)
    return [
        IncomingMessage(
            channel=ChannelName.TELEGRAM,
            chat_id=8100 + n,
            user_id=8100 + n,
            text=text,
            first_name="Resident",
            language_code="zh-hans",
            update_id=next(ids),
        )
        for n, text in enumerate(TEXTS)
    ]


@pytest.fixture
def twin(tmp_path: Path, nlu: NluBackend, feedback: FeedbackReader) -> Iterator[App]:
    """A second app like `app`, on its own database, to compare batch and one-by-one handling."""
    settings = Settings.from_env(
        {"FRONTDESK_VAR_DIR": str(tmp_path / "twin"), "FRONTDESK_NLU_CACHE": str(repo_root() / "var" / "nlu")}
    )
    application = build_app(settings, clock=FakeClock(START), nlu=nlu, feedback=feedback)
    yield application
    application.close()


def texts(outcome: list[Outgoing] | Exception) -> list[str]:
    assert not isinstance(outcome, Exception), outcome
    return [message.reply.text for message in outcome]


def outbox_texts(app: App) -> list[str]:
    """The texts waiting in the outbox (taken: a second call sees only rows queued since)."""
    with app.uow_factory() as uow:
        claimed = uow.outbox.claim(channel="telegram", now=app.clock.now(), limit=100)
        uow.commit()
    return sorted(row.message.reply.text for row in claimed)


def test_a_batch_answers_and_stores_what_one_by_one_does(app: App, twin: App) -> None:
    together = app.engine.handle_batch(updates())
    alone = [twin.engine.handle(message) for message in updates()]
    assert [texts(outcome) for outcome in together] == [texts(outcome) for outcome in alone]
    assert all(texts(outcome) for outcome in together)  # everyone was answered
    assert outbox_texts(app) == outbox_texts(twin)
    with app.uow_factory() as uow, twin.uow_factory() as other:
        for message in updates():
            mine = uow.conversations.load(channel="telegram", chat_id=message.chat_id)
            theirs = other.conversations.load(channel="telegram", chat_id=message.chat_id)
            assert mine is not None and theirs is not None and mine.flow == theirs.flow
    # Redelivered as a batch: nothing happens twice.
    assert app.engine.handle_batch(updates()) == [[] for _ in TEXTS]
    assert len(outbox_texts(app)) == 0  # the first call's rows are claimed; no new row appeared


def test_a_failing_update_is_redone_alone_and_the_others_are_kept(
    app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    broken = updates()[2]
    turn = app.engine._turn  # the whole turn of one update, inside a transaction
    calls: list[int | None] = []

    def fail_one(uow: UnitOfWork, message: IncomingMessage, now: datetime, known: object = None) -> object:
        calls.append(message.update_id)
        if message.update_id == broken.update_id:
            raise RuntimeError("a bug this update hits every time")
        return turn(uow, message, now, known)  # type: ignore[arg-type]

    monkeypatch.setattr(app.engine, "_turn", fail_one)
    outcomes = app.engine.handle_batch(updates())
    assert isinstance(outcomes[2], RuntimeError)
    assert calls == [1, 2, 3, 1, 2, 3, 4, 5, 6]  # tried together (up to the broken one), then one by one
    assert all(texts(outcome) for index, outcome in enumerate(outcomes) if index != 2)
    with app.uow_factory() as uow:
        now = app.clock.now()
        claimed = [
            uow.processed_updates.claim(channel="telegram", update_id=m.update_id or 0, now=now)
            for m in updates()
        ]
    assert claimed == [False, False, True, False, False, False]  # only the failed one is not recorded


async def test_each_waiting_caller_gets_its_own_outcome(app: App, monkeypatch: pytest.MonkeyPatch) -> None:
    batcher = TurnBatcher(app.engine, app.engine_executor, threads=1, max_batch=4)
    handle_batch = app.engine.handle_batch
    sizes: list[int] = []

    def recording(batch: list[IncomingMessage]) -> list[list[Outgoing] | Exception]:
        sizes.append(len(batch))
        if any(m.update_id == 150 for m in batch):
            return [RuntimeError("refused") if m.update_id == 150 else [] for m in batch]
        return handle_batch(batch)

    monkeypatch.setattr(app.engine, "handle_batch", recording)
    messages = updates(100)
    outcomes = await asyncio.gather(*(batcher.handle(m) for m in messages))
    assert sizes == [4, 2]  # queued together, taken at most four at a time
    for message, outcome in zip(messages, outcomes, strict=True):
        assert texts(outcome) and {reply.chat_id for reply in outcome} == {message.chat_id}
    broken = IncomingMessage(
        channel=ChannelName.TELEGRAM, chat_id=8199, user_id=8199, text="hi", update_id=150
    )
    with pytest.raises(RuntimeError, match="refused"):
        await batcher.handle(broken)
    assert texts(await batcher.handle(updates(200)[0]))  # the batcher goes on after a refusal


def test_only_private_chats_are_batched_and_their_locks_come_first(
    app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A group's turn may lock the presser's private chat too, so it never joins a batch; a batch takes
    every one of its chats' locks in one statement before any turn (`lock_many` orders them), so two
    workers' batches cannot deadlock."""
    locked: list[list[int]] = []
    lock_many = SqlChatLocks.lock_many

    def record(self: SqlChatLocks, *, chats: Iterable[tuple[str, int]]) -> None:
        chats = list(chats)
        locked.append(sorted(chat_id for _, chat_id in chats))
        lock_many(self, chats=chats)

    monkeypatch.setattr(SqlChatLocks, "lock_many", record)
    monkeypatch.setattr(SqlChatLocks, "lock", lambda *_, **__: pytest.fail("a batched chat locked alone"))
    residents = list(reversed(updates(300)[:3]))  # chats 8102, 8101, 8100
    group = IncomingMessage(
        channel=ChannelName.TELEGRAM, chat_id=-100555, user_id=8100, text="大家好", is_private=False
    )
    outcomes = app.engine.handle_batch([residents[0], group, *residents[1:]])
    assert outcomes[1] == []  # group chatter: not read
    assert all(texts(outcome) for index, outcome in enumerate(outcomes) if index != 1)
    assert locked == [[8100, 8101, 8102]]  # up front, once each, the group not among them


def test_a_chats_second_update_follows_the_batch_and_reads_what_the_first_wrote(app: App, twin: App) -> None:
    """One update per chat in a batch: a chat's later update is handled after it, in order, on the state
    the earlier one left (the batch writes its states only at its end)."""
    first, other = updates(400)[:2]
    room = replace(first, text="我家是3栋2单元502", update_id=499)
    together = app.engine.handle_batch([first, other, room])
    alone = [twin.engine.handle(message) for message in (first, other, room)]
    assert [texts(outcome) for outcome in together] == [texts(outcome) for outcome in alone]
    assert "电话" in texts(together[2])[0]  # the room was read as the answer to the first turn's question


def test_a_batch_shares_its_bookkeeping_statements(app: App) -> None:
    """One claim, one read each of residents and chat states, one state write and one outbox write for
    the whole batch, not one set per update."""
    statements: list[str] = []

    def record(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        statements.append(" ".join(statement.split()).upper())

    event.listen(app.db, "before_cursor_execute", record)
    try:
        outcomes = app.engine.handle_batch(updates(500))
    finally:
        event.remove(app.db, "before_cursor_execute", record)
    assert all(texts(outcome) for outcome in outcomes)
    assert sum(s.startswith("INSERT INTO PROCESSED_UPDATES") for s in statements) == 1
    assert sum(s.startswith("SELECT") and "FROM RESIDENTS" in s for s in statements) == 1  # read ahead
    assert sum(s.startswith("SELECT") and "FROM CONVERSATIONS" in s for s in statements) == 1
    assert sum(s.startswith("INSERT INTO CONVERSATIONS") for s in statements) == 1
    assert sum(s.startswith("INSERT INTO OUTBOX") for s in statements) == 1


def test_a_flooded_update_keeps_its_answer_when_the_batch_fails(
    app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An update over the flood limit is answered before the batch runs; if the batch then fails, only the
    admitted updates are redone one by one, so the flooded one is neither processed nor counted twice."""
    flooder = updates(600)[0]
    for n in range(FloodLimits().burst):  # the clock stands still: the burst is used up
        assert texts(app.engine.handle(replace(flooder, update_id=700 + n)))
    others = updates(800)[1:3]
    turn = app.engine._turn

    def fail_one(uow: UnitOfWork, message: IncomingMessage, now: datetime, known: object = None) -> object:
        if message.update_id == others[1].update_id:
            raise RuntimeError("a bug this update hits every time")
        return turn(uow, message, now, known)  # type: ignore[arg-type]

    alone: list[int | None] = []
    handle = app.engine.handle

    def record(message: IncomingMessage) -> list[Outgoing]:
        alone.append(message.update_id)
        return handle(message)

    monkeypatch.setattr(app.engine, "_turn", fail_one)
    monkeypatch.setattr(app.engine, "handle", record)
    outcomes = app.engine.handle_batch([replace(flooder, update_id=799), *others])
    notice = outcomes[0]
    assert not isinstance(notice, Exception) and [m.chat_id for m in notice] == [flooder.chat_id]
    assert alone == [others[0].update_id, others[1].update_id]  # the flooded update is not redone
    assert texts(outcomes[1]) and isinstance(outcomes[2], RuntimeError)


class CountingNlu:
    """The real NLU, counting how texts reach it (and at what time); `fail_together` breaks `parse_many`."""

    def __init__(self, inner: NluBackend, *, fail_together: bool = False) -> None:
        self.inner = inner
        self.fail_together = fail_together
        self.alone: list[str] = []
        self.together: list[list[str]] = []
        self.nows: list[datetime] = []

    def parse(self, text: str, *, now: datetime) -> ParseResult:
        self.alone.append(text)
        self.nows.append(now)
        return self.inner.parse(text, now=now)

    def parse_many(self, texts: Sequence[str], *, now: datetime) -> list[ParseResult]:
        self.together.append(list(texts))
        self.nows.append(now)
        if self.fail_together:
            raise ConnectionError("the NLU server is away")
        return self.inner.parse_many(texts, now=now)


def mixed_updates() -> list[IncomingMessage]:
    """The benchmark's mix plus texts a turn reads differently: padded with blanks and naming a relative
    time, a command behind a blank, an edit (answered unread) and an over-long text (answered unread)."""
    extra = ("  明天下午三点来修空调\x07  ", " /help", "我改一下刚才说的", "长" * (MAX_TEXT + 1))
    more = [
        replace(m, chat_id=m.chat_id + 50, user_id=m.user_id + 50, text=text, edited=index == 2)
        for index, (m, text) in enumerate(zip(updates(len(TEXTS) + 1), extra, strict=False))
    ]
    return updates() + more


def test_a_batch_understands_its_typed_texts_together_once(
    settings: Settings, clock: FakeClock, nlu: NluBackend, feedback: FeedbackReader, twin: App
) -> None:
    counting = CountingNlu(nlu)
    application = build_app(settings, clock=clock, nlu=counting, feedback=feedback)
    try:
        together = application.engine.handle_batch(mixed_updates())
        zone = application.site.zone
    finally:
        application.close()
    typed = [text for text in TEXTS if not text.startswith("/")] + ["明天下午三点来修空调"]
    assert counting.together == [typed]  # one call for the batch, as each turn would have read them
    assert counting.alone == []  # no turn read its text again
    assert counting.nows == [clock.now().astimezone(zone)]  # relative times read in the site's zone
    alone = [twin.engine.handle(message) for message in mixed_updates()]
    assert [texts(outcome) for outcome in together] == [texts(outcome) for outcome in alone]


def test_a_failed_reading_ahead_leaves_each_turn_to_read_its_own_text(
    settings: Settings,
    clock: FakeClock,
    nlu: NluBackend,
    feedback: FeedbackReader,
    twin: App,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="dialogs.engine")
    counting = CountingNlu(nlu, fail_together=True)
    application = build_app(settings, clock=clock, nlu=counting, feedback=feedback)
    try:
        together = application.engine.handle_batch(updates())
    finally:
        application.close()
    assert len(counting.together) == 1
    assert counting.alone == [text for text in TEXTS if not text.startswith("/")]
    assert "batch redone" not in caplog.text  # the batch went on: its turns read their texts themselves
    alone = [twin.engine.handle(message) for message in updates()]
    assert [texts(outcome) for outcome in together] == [texts(outcome) for outcome in alone]
