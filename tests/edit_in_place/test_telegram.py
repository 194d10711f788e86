"""Edit in place over HTTP: the real aiogram client, OutboxSender and TelegramTransport against the fake
Bot API server."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiogram import Bot

from bot.outbox import Blocked, Delivered, OutboxSender, RetryAfter
from bot.telegram.runner import make_bot
from bot.telegram.transport import TelegramTransport
from dialogs.clock import FakeClock
from dialogs.messages import Action, ActionKind, Button, ChannelName, Outgoing, Reply
from tests.fake_bot_api import Failure, FakeBotApi
from tests.telegram.support import (
    START,
    InMemoryMessageRefs,
    InMemoryOutbox,
    MemoryUnitOfWork,
    close_without_grace,
)

GROUP = -100500
KEY = "ticket:R2611270001"
ACCEPT = Button("接单", Action(ActionKind.CONFIRM, "R2611270001"))
CLOSE = Button("关闭", Action(ActionKind.CANCEL, "R2611270001"))


class EditableBotApi(FakeBotApi):
    """The fake server, plus: scripted failures (`fail_next_sends`) apply to edits too, and a message can
    be deleted (as a group admin might)."""

    async def _edit_message_text(self, params: dict[str, Any]) -> dict[str, Any]:
        self._check_chat(params)
        return await super()._edit_message_text(params)

    def delete(self, chat_id: int, message_id: int) -> None:
        self._sent = [m for m in self._sent if (m.chat_id, m.message_id) != (chat_id, message_id)]


@pytest.fixture
async def api() -> AsyncIterator[EditableBotApi]:
    async with EditableBotApi() as api:
        yield api


@pytest.fixture
async def bot(api: EditableBotApi) -> AsyncIterator[Bot]:
    bot = make_bot(api.token, api.base_url)
    yield bot
    await close_without_grace(bot)


def keyed(text: str, *, buttons: tuple[tuple[Button, ...], ...] = (), **reply: Any) -> Outgoing:
    return Outgoing(
        channel=ChannelName.TELEGRAM,
        chat_id=GROUP,
        reply=Reply(text=text, buttons=buttons, **reply),
        audience="staff",
        key=KEY,
    )


class Pipeline:
    """Outbox → sender → TelegramTransport → HTTP, with references kept in memory."""

    def __init__(self, bot: Bot) -> None:
        self.outbox = InMemoryOutbox()
        self.refs = InMemoryMessageRefs()
        self.clock = FakeClock(START)
        self.sender = OutboxSender(
            lambda: MemoryUnitOfWork(self.outbox, self.refs), TelegramTransport(bot), self.clock
        )

    async def deliver(self, message: Outgoing) -> None:
        self.outbox.enqueue(message=message, now=self.clock.now())
        assert await self.sender.flush() == 1

    @property
    def ref(self) -> int | None:
        return self.refs.get(channel="telegram", chat_id=GROUP, key=KEY)


async def test_two_keyed_messages_are_one_send_and_one_edit_of_it(bot: Bot, api: EditableBotApi) -> None:
    pipeline = Pipeline(bot)
    await pipeline.deliver(keyed("R2611270001 待接单", buttons=((ACCEPT,),)))
    await pipeline.deliver(keyed("R2611270001 已接单：张师傅", buttons=((CLOSE,),)))

    [send] = api.calls_to("sendMessage")
    [edit] = api.calls_to("editMessageText")
    [shown] = api.sent_messages(GROUP)
    assert edit.params["message_id"] == shown.message_id == pipeline.ref
    assert edit.params["chat_id"] == GROUP and "parse_mode" not in edit.params
    assert shown.text == "R2611270001 已接单：张师傅"
    assert [b["text"] for row in shown.inline_buttons() for b in row] == ["关闭"]
    assert send.params["text"] == "R2611270001 待接单"


async def test_a_deleted_target_is_sent_anew_and_the_new_message_is_edited_next(
    bot: Bot, api: EditableBotApi
) -> None:
    pipeline = Pipeline(bot)
    await pipeline.deliver(keyed("v1"))
    first = pipeline.ref
    assert first is not None
    api.delete(GROUP, first)

    await pipeline.deliver(keyed("v2"))
    [replacement] = api.sent_messages(GROUP)
    assert replacement.text == "v2" and replacement.message_id != first
    assert pipeline.ref == replacement.message_id
    assert [c.params["message_id"] for c in api.calls_to("editMessageText")] == [first]

    await pipeline.deliver(keyed("v3"))
    assert [m.text for m in api.sent_messages(GROUP)] == ["v3"]
    assert api.calls_to("editMessageText")[-1].params["message_id"] == replacement.message_id
    assert len(api.calls_to("sendMessage")) == 2


async def test_a_message_that_cannot_be_edited_any_more_is_sent_anew(bot: Bot, api: EditableBotApi) -> None:
    transport = TelegramTransport(bot)
    sent = await transport.send(keyed("v1"))
    assert isinstance(sent, Delivered) and sent.external_id is not None
    api.fail_next_sends(GROUP, Failure(400, "Bad Request: message can't be edited"))
    result = await transport.send(keyed("v2"), edit_message_id=sent.external_id)
    assert [m.text for m in api.sent_messages(GROUP)] == ["v1", "v2"]
    assert result == Delivered(external_id=api.sent_messages(GROUP)[-1].message_id)


async def test_an_unchanged_message_counts_as_delivered(bot: Bot, api: EditableBotApi) -> None:
    transport = TelegramTransport(bot)
    sent = await transport.send(keyed("v1"))
    assert isinstance(sent, Delivered) and sent.external_id is not None
    not_modified = "Bad Request: message is not modified: specified new message content and reply markup are"
    api.fail_next_sends(GROUP, Failure(400, not_modified))
    assert await transport.send(keyed("v1"), edit_message_id=sent.external_id) == sent
    assert len(api.calls_to("sendMessage")) == 1 and len(api.calls_to("editMessageText")) == 1


async def test_other_edit_errors_are_classified_like_sends(bot: Bot, api: EditableBotApi) -> None:
    transport = TelegramTransport(bot)
    sent = await transport.send(keyed("v1"))
    assert isinstance(sent, Delivered) and sent.external_id is not None
    api.fail_with_retry_after(GROUP, seconds=7)
    api.fail_with_blocked(GROUP)
    assert await transport.send(keyed("v2"), edit_message_id=sent.external_id) == RetryAfter(seconds=7.0)
    assert isinstance(await transport.send(keyed("v2"), edit_message_id=sent.external_id), Blocked)
    assert [m.text for m in api.sent_messages(GROUP)] == ["v1"]
    assert len(api.calls_to("sendMessage")) == 1


async def test_an_edit_drops_buttons_the_new_version_lacks(bot: Bot, api: EditableBotApi) -> None:
    transport = TelegramTransport(bot)
    sent = await transport.send(keyed("v1", buttons=((ACCEPT,),)))
    assert isinstance(sent, Delivered) and sent.external_id is not None
    assert await transport.send(keyed("closed"), edit_message_id=sent.external_id) == sent
    [shown] = api.sent_messages(GROUP)
    assert shown.text == "closed" and shown.inline_buttons() == []


@pytest.mark.parametrize(
    "reply",
    [
        {"text": "长" * 5000},  # two parts: one message cannot hold it
        {
            "text": "please share",
            "request_contact_label": "分享手机号",
        },  # a reply keyboard cannot be edited in
    ],
)
async def test_replies_an_edit_cannot_carry_are_sent_anew(
    bot: Bot, api: EditableBotApi, reply: dict[str, Any]
) -> None:
    transport = TelegramTransport(bot)
    sent = await transport.send(keyed("v1"))
    assert isinstance(sent, Delivered)
    result = await transport.send(keyed(**reply), edit_message_id=sent.external_id)
    assert api.calls_to("editMessageText") == []
    assert result == Delivered(external_id=api.sent_messages(GROUP)[-1].message_id)
    assert api.sent_messages(GROUP)[0].text == "v1"
