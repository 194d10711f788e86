"""The Telegram `Transport`: sends an `Outgoing` with aiogram and classifies what went wrong.

The outbox sender must never see an aiogram exception: each one becomes a `DeliveryResult` that says what
to do next (wait, give up on the chat, retry later, or drop the message), so retry policy lives in one
place and the sender works the same for every channel.
"""

from __future__ import annotations

import logging

from aiogram import Bot
from aiogram.exceptions import (
    AiogramError,
    TelegramAPIError,
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

from bot.outbox import Blocked, Delivered, DeliveryResult, Failed, RetryAfter
from bot.telegram.render import render_reply
from dialogs.messages import ChannelName, Outgoing

__all__ = ["TelegramTransport", "classify_error"]

logger = logging.getLogger(__name__)


def classify_error(error: AiogramError) -> DeliveryResult:
    """What an aiogram error means for the outbox (order matters: some classes subclass others)."""
    text = f"{type(error).__name__}: {error}"
    match error:
        case TelegramRetryAfter(retry_after=seconds):
            return RetryAfter(seconds=float(seconds))
        case TelegramForbiddenError():
            return Blocked(description=str(error))
        case TelegramEntityTooLarge() | TelegramBadRequest() | TelegramNotFound() | TelegramMigrateToChat():
            return Failed(error=text, retryable=False)
        case TelegramNetworkError() | TelegramServerError() | TelegramUnauthorizedError():
            # A bad token is an operator problem, not the message's: keep the message for later.
            return Failed(error=text, retryable=True)
        case TelegramAPIError():
            return Failed(error=text, retryable=False)
        case _:  # e.g. ClientDecodeError: a proxy or server answered garbage
            return Failed(error=text, retryable=True)


class TelegramTransport:
    """Delivers outbox messages with `bot.send_message`, plain text, one call per text part."""

    def __init__(self, bot: Bot) -> None:
        self._bot = bot

    @property
    def channel(self) -> ChannelName:
        return ChannelName.TELEGRAM

    async def send(self, message: Outgoing) -> DeliveryResult:
        """Send all parts of the reply; the result of the first failing part is the result."""
        sent_id: int | None = None
        for kwargs in render_reply(message.reply):
            try:
                sent = await self._bot.send_message(chat_id=message.chat_id, **kwargs)
            except AiogramError as error:
                result = classify_error(error)
                logger.info("telegram send failed", extra={"chat_id": message.chat_id, "result": str(result)})
                return result
            sent_id = sent.message_id
        return Delivered(external_id=sent_id)
