"""TelegramTransport: aiogram errors become DeliveryResults, checked against the fake server over HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiogram import Bot
from aiogram.exceptions import (
    AiogramError,
    ClientDecodeError,
    TelegramBadRequest,
    TelegramEntityTooLarge,
    TelegramForbiddenError,
    TelegramMigrateToChat,
    TelegramNetworkError,
    TelegramNotFound,
    TelegramRetryAfter,
    TelegramServerError,
    TelegramUnauthorizedError,
)
from aiogram.methods import SendMessage

from bot.outbox import Blocked, Delivered, DeliveryResult, Failed, RetryAfter
from bot.telegram.runner import make_bot
from bot.telegram.transport import TelegramTransport, classify_error
from dialogs.messages import ChannelName, Outgoing, Reply
from tests.fake_bot_api import Failure, FakeBotApi
from tests.telegram.support import close_without_grace

METHOD = SendMessage(chat_id=1, text="x")


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (TelegramRetryAfter(METHOD, "Too Many Requests", retry_after=9), RetryAfter(seconds=9.0)),
        (TelegramForbiddenError(METHOD, "blocked"), Blocked(description="Telegram server says - blocked")),
        (TelegramBadRequest(METHOD, "bad"), Failed("TelegramBadRequest: Telegram server says - bad", False)),
    ],
)
def test_classify_exact_results(error: AiogramError, expected: DeliveryResult) -> None:
    assert classify_error(error) == expected


@pytest.mark.parametrize(
    ("error", "retryable"),
    [
        (TelegramNetworkError(METHOD, "timeout"), True),
        (TelegramServerError(METHOD, "502"), True),
        (TelegramUnauthorizedError(METHOD, "Unauthorized"), True),
        (ClientDecodeError("garbage", ValueError("x"), "<html>"), True),
        (TelegramEntityTooLarge(METHOD, "too large"), False),  # a NetworkError subclass, but hopeless
        (TelegramNotFound(METHOD, "chat not found"), False),
        (TelegramMigrateToChat(METHOD, "migrated", migrate_to_chat_id=-100), False),
    ],
)
def test_classify_failures(error: AiogramError, retryable: bool) -> None:
    result = classify_error(error)
    assert isinstance(result, Failed) and result.retryable is retryable


@pytest.fixture
async def bot(fake_bot_api: FakeBotApi) -> AsyncIterator[Bot]:
    bot = make_bot(fake_bot_api.token, fake_bot_api.base_url)
    yield bot
    await close_without_grace(bot)


def outgoing(text: str, chat_id: int = 5) -> Outgoing:
    return Outgoing(channel=ChannelName.TELEGRAM, chat_id=chat_id, reply=Reply(text=text))


async def test_delivered_returns_the_telegram_message_id(bot: Bot, fake_bot_api: FakeBotApi) -> None:
    transport = TelegramTransport(bot)
    assert transport.channel is ChannelName.TELEGRAM
    result = await transport.send(outgoing("您好"))
    [sent] = fake_bot_api.sent_messages(5)
    assert result == Delivered(external_id=sent.message_id)


async def test_http_errors_map_to_results(bot: Bot, fake_bot_api: FakeBotApi) -> None:
    transport = TelegramTransport(bot)
    fake_bot_api.fail_with_retry_after(5, seconds=3)
    fake_bot_api.fail_with_blocked(5)
    fake_bot_api.fail_next_sends(5, Failure(500, "Internal Server Error"))
    assert await transport.send(outgoing("a")) == RetryAfter(seconds=3.0)
    assert isinstance(await transport.send(outgoing("a")), Blocked)
    server_error = await transport.send(outgoing("a"))
    assert isinstance(server_error, Failed) and server_error.retryable
    empty = await transport.send(outgoing("   "))  # the real API refuses empty text with 400
    assert isinstance(empty, Failed) and not empty.retryable
    assert fake_bot_api.sent_messages(5) == []


async def test_long_reply_is_sent_in_parts(bot: Bot, fake_bot_api: FakeBotApi) -> None:
    result = await TelegramTransport(bot).send(outgoing("长" * 5000))
    sent = fake_bot_api.sent_messages(5)
    assert [len(message.text or "") for message in sent] == [4096, 904]
    assert result == Delivered(external_id=sent[-1].message_id)


async def test_unreachable_server_is_a_retryable_failure(fake_bot_api: FakeBotApi) -> None:
    base_url = fake_bot_api.base_url
    await fake_bot_api.close()
    bot = make_bot(fake_bot_api.token, base_url)
    try:
        result = await TelegramTransport(bot).send(outgoing("a"))
    finally:
        await close_without_grace(bot)
    assert isinstance(result, Failed) and result.retryable
