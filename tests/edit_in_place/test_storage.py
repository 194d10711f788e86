"""Message references and keyed outbox rows on real databases (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import inspect
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from bot.outbox import OutboxSender
from dialogs.clock import FakeClock
from dialogs.messages import ChannelName, Outgoing, Reply
from storage.database import make_engine, upgrade
from storage.tables import MessageRefRow, OutboxRow
from storage.uow import SqlUnitOfWorkFactory
from tests.harness import CollectingTransport

T0 = datetime(2026, 11, 28, 2, 0, tzinfo=UTC)
GROUP = -100500


def keyed(text: str, key: str | None = "ticket:R2611280001", chat_id: int = GROUP) -> Outgoing:
    return Outgoing(
        channel=ChannelName.CONSOLE, chat_id=chat_id, reply=Reply(text=text), audience="staff", key=key
    )


class TestMessageRefs:
    def test_put_then_get_and_replace(self, uow: SqlUnitOfWorkFactory, engine: Engine) -> None:
        with uow() as work:
            assert work.message_refs.get(channel="telegram", chat_id=GROUP, key="ticket:A") is None
            work.message_refs.put(channel="telegram", chat_id=GROUP, key="ticket:A", message_id=41, now=T0)
            assert work.message_refs.get(channel="telegram", chat_id=GROUP, key="ticket:A") == 41
            work.commit()
        later = T0 + timedelta(minutes=3)
        with uow() as work:
            assert work.message_refs.get(channel="telegram", chat_id=GROUP, key="ticket:A") == 41
            work.message_refs.put(
                channel="telegram", chat_id=GROUP, key="ticket:A", message_id=2**40, now=later
            )
            assert work.message_refs.get(channel="telegram", chat_id=GROUP, key="ticket:A") == 2**40
            work.commit()
        with Session(engine) as session:
            [row] = session.exec(select(MessageRefRow)).all()
        assert (row.message_id, row.updated_at) == (2**40, later)

    def test_channel_chat_and_key_each_tell_refs_apart(self, uow: SqlUnitOfWorkFactory) -> None:
        addresses = [
            ("telegram", GROUP, "k"),
            ("console", GROUP, "k"),
            ("telegram", 7, "k"),
            ("telegram", GROUP, "j"),
        ]
        with uow() as work:
            for number, (channel, chat_id, key) in enumerate(addresses, start=1):
                work.message_refs.put(channel=channel, chat_id=chat_id, key=key, message_id=number, now=T0)
            work.commit()
        with uow() as work:
            found = [work.message_refs.get(channel=c, chat_id=chat, key=k) for c, chat, k in addresses]
        assert found == [1, 2, 3, 4]

    def test_refs_are_rolled_back_without_commit(self, uow: SqlUnitOfWorkFactory) -> None:
        with uow() as work:
            work.message_refs.put(channel="telegram", chat_id=GROUP, key="k", message_id=1, now=T0)
        with uow() as work:
            assert work.message_refs.get(channel="telegram", chat_id=GROUP, key="k") is None

    def test_outbox_keeps_the_key(self, uow: SqlUnitOfWorkFactory, engine: Engine) -> None:
        with uow() as work:
            work.outbox.enqueue(message=keyed("with key"), now=T0)
            work.outbox.enqueue(message=keyed("without", key=None), now=T0)
            work.commit()
        with uow() as work:
            claimed = work.outbox.claim(channel="console", now=T0, limit=10)
            work.commit()
        assert [c.message for c in claimed] == [keyed("with key"), keyed("without", key=None)]
        with Session(engine) as session:
            payloads = [row.payload for row in session.exec(select(OutboxRow).order_by(col(OutboxRow.id)))]
        assert payloads[0]["key"] == "ticket:R2611280001"
        assert "key" not in payloads[1]  # rows without a key look exactly as before

    def test_migration_adds_the_table_to_an_existing_database(self, db_url: str) -> None:
        engine = make_engine(db_url)
        try:
            upgrade(engine, "0001")
            assert "message_refs" not in inspect(engine).get_table_names()
            upgrade(engine)
            columns = {c["name"] for c in inspect(engine).get_columns("message_refs")}
            assert columns == {"channel", "chat_id", "key", "message_id", "updated_at"}
            primary_key = inspect(engine).get_pk_constraint("message_refs")["constrained_columns"]
            assert sorted(primary_key) == ["channel", "chat_id", "key"]
        finally:
            engine.dispose()

    async def test_sender_on_storage_edits_the_message_sent_under_the_key(
        self, uow: SqlUnitOfWorkFactory
    ) -> None:
        transport = CollectingTransport()
        sender = OutboxSender(uow, transport, FakeClock(T0))
        with uow() as work:
            work.outbox.enqueue(message=keyed("v1"), now=T0)
            work.outbox.enqueue(message=keyed("other", key="ticket:R2611280002"), now=T0)
            work.outbox.enqueue(message=keyed("v2"), now=T0)
            work.commit()
        assert await sender.flush() == 3
        assert [m.reply.text for m in transport.delivered] == ["v1", "other", "v2"]
        assert [(target, m.reply.text) for target, m in transport.edits] == [(1, "v2")]
        with uow() as work:
            assert work.message_refs.get(channel="console", chat_id=GROUP, key="ticket:R2611280001") == 1
            assert work.message_refs.get(channel="console", chat_id=GROUP, key="ticket:R2611280002") == 2
