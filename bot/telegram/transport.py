"""The Telegram `Transport`: sends an `Outgoing` with aiogram and classifies what went wrong.

The outbox sender must never see an aiogram exception: each one becomes a `DeliveryResult` that says what
to do next (wait, give up on the chat, retry later, or drop the message), so retry policy lives in one
place and the sender works the same for every channel.

Editing in place (a keyed message, see `Outgoing.key`) uses `edit_message_text`. Telegram answers an edit
that changes nothing with "message is not modified": the chat already shows the message, so that counts as
delivered. An edit target that is gone or no longer editable, or a reply an edit cannot carry (several
text parts, a reply keyboard), is sent as a new message instead, whose id the sender then keeps.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace
from pathlib import Path

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
from aiogram.methods import EditMessageText, SendDocument, SendMessage, SendPhoto
from aiogram.types import FSInputFile, InlineKeyboardMarkup

from bot.outbox import Blocked, Delivered, DeliveryResult, Failed, RetryAfter
from bot.telegram.render import render_markup, render_reply
from dialogs.messages import ChannelName, FileKind, Outgoing, OutgoingFile

__all__ = ["TelegramTransport", "classify_error"]

logger = logging.getLogger(__name__)

# Telegram's descriptions (lower case) of edits that cannot be done but need not be: see `send`.
_NOT_MODIFIED = "message is not modified"
# Telegram's limit on a photo's or document's caption.
MAX_CAPTION_LENGTH = 1024
_EDIT_TARGET_GONE = ("message to edit not found", "message can't be edited", "message_id_invalid")


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
        case TelegramUnauthorizedError():
            # A bad token is an operator problem, not the message's: keep the message for later.
            return Failed(error=text, retryable=True)
        case TelegramNetworkError() | TelegramServerError():
            # The request may have reached Telegram (a timeout, a 5xx): perhaps delivered.
            return Failed(error=text, retryable=True, maybe_delivered=True)
        case TelegramAPIError():
            return Failed(error=text, retryable=False)
        case _:  # e.g. ClientDecodeError: a proxy or server answered garbage
            return Failed(error=text, retryable=True, maybe_delivered=True)


class TelegramTransport:
    """Delivers outbox messages with `bot.send_message` (plain text, one call per text part), or edits an
    earlier message with `bot.edit_message_text` when the sender says which."""

    # The Bot API methods it calls (built at start-up: `bot.telegram.lazy_models.build_now`).
    METHODS = (SendMessage, EditMessageText, SendPhoto, SendDocument)

    def __init__(self, bot: Bot) -> None:
        self._bot = bot

    @property
    def channel(self) -> ChannelName:
        return ChannelName.TELEGRAM

    async def send(self, message: Outgoing, *, edit_message_id: int | None = None) -> DeliveryResult:
        """Edit `edit_message_id` when given and possible, else send the reply as new message(s); a reply
        with a file is always sent anew (its text becomes the caption)."""
        if message.reply.file is not None:
            return await self._send_file(message, message.reply.file)
        if edit_message_id is not None:
            edited = await self._edit(message, edit_message_id)
            if edited is not None:
                return edited
        return await self._send_new(message)

    async def _edit(self, message: Outgoing, message_id: int) -> DeliveryResult | None:
        """Replace the text and inline keyboard of an earlier message; None means "send a new one"."""
        parts = render_reply(message.reply)
        markup = parts[0]["reply_markup"]
        if len(parts) > 1 or not (markup is None or isinstance(markup, InlineKeyboardMarkup)):
            logger.info("reply cannot be an edit; sending it anew", extra={"chat_id": message.chat_id})
            return None
        try:
            await self._bot.edit_message_text(
                chat_id=message.chat_id,
                message_id=message_id,
                text=parts[0]["text"],
                reply_markup=markup,
                parse_mode=None,
            )
        except TelegramBadRequest as error:
            description = error.message.lower()
            if _NOT_MODIFIED in description:
                return Delivered(external_id=message_id)
            if any(gone in description for gone in _EDIT_TARGET_GONE):
                logger.info("edit target gone; sending anew", extra={"chat_id": message.chat_id})
                return None
            return self._failed(message, error, "edit")
        except AiogramError as error:
            return self._failed(message, error, "edit")
        return Delivered(external_id=message_id)

    async def _send_new(self, message: Outgoing) -> DeliveryResult:
        """Send all parts of the reply; the result of the first failing part is the result."""
        sent_id: int | None = None
        for kwargs in render_reply(message.reply):
            try:
                sent = await self._bot.send_message(chat_id=message.chat_id, **kwargs)
            except AiogramError as error:
                return self._failed(message, error, "send")
            sent_id = sent.message_id
        return Delivered(external_id=sent_id)

    async def _send_file(self, message: Outgoing, file: OutgoingFile) -> DeliveryResult:
        """Send a photo or document from the var directory; a text too long for a caption goes first as
        its own message(s) and the file follows without one. A file that is gone cannot come back, so
        that failure is final."""
        caption: str | None = message.reply.text or None
        if caption is not None and len(caption) > MAX_CAPTION_LENGTH:
            result = await self._send_new(replace(message, reply=replace(message.reply, file=None)))
            if not isinstance(result, Delivered):
                return result
            caption = None
        path = Path(file.path)
        if not await asyncio.to_thread(path.is_file):
            return Failed(error=f"file to send is missing: {file.filename}", retryable=False)
        upload = FSInputFile(path, filename=file.filename)
        markup = render_markup(message.reply)
        try:
            if file.kind is FileKind.PHOTO:
                sent = await self._bot.send_photo(
                    chat_id=message.chat_id, photo=upload, caption=caption, reply_markup=markup
                )
            else:
                sent = await self._bot.send_document(
                    chat_id=message.chat_id, document=upload, caption=caption, reply_markup=markup
                )
        except AiogramError as error:
            return self._failed(message, error, "send_file")
        return Delivered(external_id=sent.message_id)

    @staticmethod
    def _failed(message: Outgoing, error: AiogramError, action: str) -> DeliveryResult:
        result = classify_error(error)
        extra = {"chat_id": message.chat_id, "action": action, "result": str(result)}
        logger.info("telegram delivery failed", extra=extra)
        return result
