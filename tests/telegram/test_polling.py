"""End to end: the real aiogram dispatcher polls the fake Bot API over HTTP, `on_message` writes replies to
an in-memory outbox, and the OutboxSender delivers them through TelegramTransport."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

import pytest

from bot.outbox import RetryPolicy
from bot.telegram.runner import build_dispatcher, make_bot, run_polling
from dialogs.messages import (
    Action,
    ActionKind,
    Attachment,
    AttachmentKind,
    Button,
    Contact,
    IncomingMessage,
    Location,
    Reply,
)
from tests.fake_bot_api import FakeBotApi
from tests.telegram.support import close_without_grace, running_bot

RESIDENT = 1001


async def test_text_is_received_and_echoed(fake_bot_api: FakeBotApi) -> None:
    async with running_bot(fake_bot_api) as bot:
        fake_bot_api.push_text(RESIDENT, "3栋2单元502厨房漏水", language_code="zh-hans")
        sent = await fake_bot_api.wait_for_messages(RESIDENT, 1)

    assert [message.text for message in sent] == ["echo: 3栋2单元502厨房漏水"]
    [incoming] = bot.incoming
    assert incoming.chat_id == incoming.user_id == RESIDENT
    assert incoming.first_name == "Resident"
    assert incoming.language_code == "zh-hans"
    assert incoming.is_private and incoming.action is None and incoming.attachments == ()
    [call] = fake_bot_api.calls_to("sendMessage")
    assert "parse_mode" not in call.params  # resident text must never meet a parse mode
    assert bot.outbox.rows[0].sent_at is not None


async def test_inline_buttons_round_trip_a_typed_action(fake_bot_api: FakeBotApi) -> None:
    confirm = Action(ActionKind.CONFIRM, "R-0302-1")
    buttons = (
        (Button("确认", confirm), Button("修改", Action(ActionKind.EDIT))),
        (Button("取消", Action(ActionKind.CANCEL)),),
    )

    async def responder(message: IncomingMessage) -> list[Reply]:
        if message.action is not None:
            return [Reply(text=f"pressed {message.action.kind}:{message.action.arg}")]
        return [Reply(text="请确认", buttons=buttons)]

    async with running_bot(fake_bot_api, responder) as bot:
        fake_bot_api.push_text(RESIDENT, "报修")
        [question] = await fake_bot_api.wait_for_messages(RESIDENT, 1)
        rows = question.inline_buttons()
        assert [[button["text"] for button in row] for row in rows] == [["确认", "修改"], ["取消"]]
        assert rows[0][0]["callback_data"] == "a:confirm:R-0302-1"
        query_id = fake_bot_api.push_callback(RESIDENT, question.message_id, rows[0][0]["callback_data"])
        sent = await fake_bot_api.wait_for_messages(RESIDENT, 2)

    assert sent[1].text == "pressed confirm:R-0302-1"
    assert bot.incoming[1].action == confirm
    assert bot.incoming[1].text == ""
    assert [answer["callback_query_id"] for answer in fake_bot_api.answered_callbacks] == [query_id]


async def test_forged_callback_data_arrives_as_an_unknown_action_and_is_answered(
    fake_bot_api: FakeBotApi, caplog: pytest.LogCaptureFixture
) -> None:
    async with running_bot(fake_bot_api) as bot:
        fake_bot_api.push_text(RESIDENT, "hi")
        [first] = await fake_bot_api.wait_for_messages(RESIDENT, 1)
        with caplog.at_level(logging.WARNING, logger="bot.telegram"):
            fake_bot_api.push_callback(RESIDENT, first.message_id, "a:explode:now")
            await fake_bot_api.wait_for_messages(RESIDENT, 2)

    assert bot.incoming[1].action == Action(ActionKind.UNKNOWN) and bot.incoming[1].text == ""
    assert len(fake_bot_api.answered_callbacks) == 1
    assert any("callback" in record.getMessage() for record in caplog.records)


async def test_contact_keyboard_and_shared_contact(fake_bot_api: FakeBotApi) -> None:
    async def responder(message: IncomingMessage) -> list[Reply]:
        if message.contact is not None:
            return [Reply(text="谢谢", remove_keyboard=True)]
        return [Reply(text="请分享手机号", request_contact_label="分享手机号")]

    async with running_bot(fake_bot_api, responder) as bot:
        fake_bot_api.push_text(RESIDENT, "投诉")
        [ask] = await fake_bot_api.wait_for_messages(RESIDENT, 1)
        fake_bot_api.push_contact(RESIDENT, "+8613800138000", first_name="王")
        sent = await fake_bot_api.wait_for_messages(RESIDENT, 2)

    markups = [call.params["reply_markup"] for call in fake_bot_api.calls_to("sendMessage")]
    assert markups[0] == {
        "keyboard": [[{"text": "分享手机号", "request_contact": True}]],
        "resize_keyboard": True,
        "one_time_keyboard": True,
    }
    assert markups[1] == {"remove_keyboard": True}
    assert ask.text == "请分享手机号" and sent[1].text == "谢谢"
    assert bot.incoming[1].contact == Contact(phone="+8613800138000", user_id=RESIDENT, first_name="王")


async def test_media_and_location_become_attachments(fake_bot_api: FakeBotApi) -> None:
    async with running_bot(fake_bot_api) as bot:
        largest = fake_bot_api.push_photo(RESIDENT, caption="天花板渗水")
        document = fake_bot_api.push_document(RESIDENT)
        fake_bot_api.push_location(RESIDENT, 31.23, 121.47)
        await fake_bot_api.wait_for_messages(RESIDENT, 3)

    photo, doc, location = bot.incoming
    assert photo.attachments == (Attachment(AttachmentKind.PHOTO, largest),)
    assert photo.text == "天花板渗水"
    assert doc.attachments == (Attachment(AttachmentKind.DOCUMENT, document),)
    assert location.location == Location(latitude=31.23, longitude=121.47)


async def test_group_messages_pass_with_is_private_false_and_private_edits_are_marked(
    fake_bot_api: FakeBotApi,
) -> None:
    group = -100200
    async with running_bot(fake_bot_api) as bot:
        fake_bot_api.push_edited_text(RESIDENT, "edited")
        fake_bot_api.push_edited_text(RESIDENT, "edited in the group", chat_id=group)
        fake_bot_api.push_text(RESIDENT, "in the group", chat_id=group)
        await fake_bot_api.wait_for_messages(group, 1)
        fake_bot_api.push_text(RESIDENT, "after")
        await fake_bot_api.wait_for_messages(RESIDENT, 2)

    seen = [(message.chat_id, message.text, message.is_private, message.edited) for message in bot.incoming]
    assert seen == [
        (RESIDENT, "edited", True, True),  # the engine answers it (not re-read); a group edit never arrives
        (group, "in the group", False, False),
        (RESIDENT, "after", True, False),
    ]


async def test_retry_after_is_honoured(fake_bot_api: FakeBotApi) -> None:
    fake_bot_api.fail_with_retry_after(RESIDENT, seconds=7)
    async with running_bot(fake_bot_api) as bot:
        fake_bot_api.push_text(RESIDENT, "hello")
        assert await bot.outbox.next_mark() == ("retry", 1)
        assert fake_bot_api.sent_messages(RESIDENT) == []
        assert bot.outbox.rows[0].due_at == bot.clock.now() + timedelta(seconds=7)

        bot.clock.advance(timedelta(seconds=6))
        await bot.sender.flush()
        assert len(fake_bot_api.calls_to("sendMessage")) == 1  # not due yet: not retried early

        bot.clock.advance(timedelta(seconds=1))
        bot.sender.wake()
        sent = await fake_bot_api.wait_for_messages(RESIDENT, 1)

    assert [message.text for message in sent] == ["echo: hello"]
    assert len(fake_bot_api.calls_to("sendMessage")) == 2


async def test_blocked_chat_is_reported_and_not_retried(fake_bot_api: FakeBotApi) -> None:
    async def two_replies(message: IncomingMessage) -> list[Reply]:
        return [Reply(text="one"), Reply(text="two")]

    fake_bot_api.fail_with_blocked(RESIDENT, count=10)
    async with running_bot(fake_bot_api, two_replies, policy=RetryPolicy(max_attempts=3)) as bot:
        fake_bot_api.push_text(RESIDENT, "hello")
        await asyncio.wait_for(bot.blocked_event.wait(), 5)
        assert {await bot.outbox.next_mark(), await bot.outbox.next_mark()} == {
            ("given_up", 1),
            ("given_up", 2),
        }

        bot.clock.advance(timedelta(hours=5))
        assert await bot.sender.flush() == 0

    assert bot.blocked == [RESIDENT]
    assert len(fake_bot_api.calls_to("sendMessage")) == 1  # the second reply was not even tried
    assert all(row.given_up for row in bot.outbox.rows)


async def test_set_my_commands_failure_is_only_a_warning(
    fake_bot_api: FakeBotApi, caplog: pytest.LogCaptureFixture
) -> None:
    fake_bot_api.fail_set_my_commands = True
    with caplog.at_level(logging.WARNING, logger="bot.telegram.runner"):
        async with running_bot(fake_bot_api, commands=[("start", "开始"), ("help", "帮助")]):
            fake_bot_api.push_text(RESIDENT, "still works")
            await fake_bot_api.wait_for_messages(RESIDENT, 1)

    warnings = [record for record in caplog.records if record.name == "bot.telegram.runner"]
    assert [record.levelno for record in warnings] == [logging.WARNING]
    assert "setMyCommands" in warnings[0].getMessage()
    assert fake_bot_api.commands == []


async def test_commands_are_registered(fake_bot_api: FakeBotApi) -> None:
    async with running_bot(fake_bot_api, commands=[("start", "开始"), ("help", "帮助")]):
        pass
    assert fake_bot_api.commands == [
        {"command": "start", "description": "开始"},
        {"command": "help", "description": "帮助"},
    ]
    assert len(fake_bot_api.calls_to("deleteWebhook")) == 1


async def test_updates_of_one_chat_are_handled_in_order(fake_bot_api: FakeBotApi) -> None:
    other = 2002
    finished: list[str] = []

    async def slow_first(message: IncomingMessage) -> list[Reply]:
        if message.text == "1":
            for _ in range(50):  # yield to the loop many times: without the per-chat lock "2" overtakes
                await asyncio.sleep(0)
        finished.append(f"{message.chat_id}:{message.text}")
        return [Reply(text=f"echo: {message.text}")]

    for text in ["1", "2", "3", "4", "5"]:
        fake_bot_api.push_text(RESIDENT, text)
    fake_bot_api.push_text(other, "x")
    async with running_bot(fake_bot_api, slow_first) as bot:
        sent = await fake_bot_api.wait_for_messages(RESIDENT, 5)
        await fake_bot_api.wait_for_messages(other, 1)

    assert [item for item in finished if item.startswith(f"{RESIDENT}:")] == [
        f"{RESIDENT}:{n}" for n in "12345"
    ]
    assert finished.index(f"{other}:x") < finished.index(f"{RESIDENT}:1")  # other chats are not held up
    assert [message.text for message in sent] == [f"echo: {n}" for n in "12345"]
    assert bot.time.slept  # 5 messages to one chat exceed the burst of 3: the sender paced itself


async def test_stop_before_polling_started_still_stops(fake_bot_api: FakeBotApi) -> None:
    stop = asyncio.Event()
    stop.set()
    bot = make_bot(fake_bot_api.token, fake_bot_api.base_url)
    try:
        dispatcher = build_dispatcher(lambda message: asyncio.sleep(0))
        await asyncio.wait_for(run_polling(bot, dispatcher, [], handle_signals=False, stop=stop), 5)
    finally:
        await close_without_grace(bot)
    assert fake_bot_api.calls_to("setMyCommands")  # it did start, then stopped at once
