"""Rendering a platform-neutral `Reply` as `bot.send_message` arguments.

Text is always sent without a parse mode, so whatever a resident typed (and we echo) can never break
Markdown/HTML parsing. A Telegram message carries one keyboard, so when a reply asks for several the
most specific wins: the contact request, then inline buttons, then removing an old keyboard. Text longer
than Telegram's 4096 characters is split; the keyboard goes with the last part, under the text it belongs to.
"""

from __future__ import annotations

import logging
from typing import TypedDict

from aiogram.types import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)

from bot.telegram.callbacks import pack_action
from dialogs.messages import Button, Reply

__all__ = ["MAX_TEXT_LENGTH", "Markup", "SendMessageKwargs", "render_markup", "render_reply", "split_text"]

logger = logging.getLogger(__name__)

MAX_TEXT_LENGTH = 4096

Markup = InlineKeyboardMarkup | ReplyKeyboardMarkup | ReplyKeyboardRemove


class SendMessageKwargs(TypedDict):
    """Keyword arguments for `Bot.send_message` (besides `chat_id`)."""

    text: str
    reply_markup: Markup | None
    parse_mode: None


def render_markup(reply: Reply) -> Markup | None:
    """The one keyboard this reply should show, if any."""
    if reply.request_contact_label is not None:
        if reply.buttons:
            logger.warning("reply has inline buttons and a contact request; the buttons are dropped")
        button = KeyboardButton(text=reply.request_contact_label, request_contact=True)
        return ReplyKeyboardMarkup(keyboard=[[button]], resize_keyboard=True, one_time_keyboard=True)
    if reply.buttons:
        rows = [[_inline_button(button) for button in row] for row in reply.buttons if row]
        return InlineKeyboardMarkup(inline_keyboard=rows)
    if reply.remove_keyboard:
        return ReplyKeyboardRemove()
    return None


def _inline_button(button: Button) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=button.label, callback_data=pack_action(button.action))


def _fitting_prefix(text: str, limit: int) -> int:
    """How many characters fit in `limit` UTF-16 code units (Telegram's way of counting length)."""
    used = 0
    for index, char in enumerate(text):
        used += 2 if ord(char) > 0xFFFF else 1
        if used > limit:
            return index
    return len(text)


def split_text(text: str, limit: int = MAX_TEXT_LENGTH) -> list[str]:
    """Cut text into parts Telegram accepts, preferring line breaks as cut points."""
    parts: list[str] = []
    rest = text
    while (fit := _fitting_prefix(rest, limit)) < len(rest):
        cut = rest.rfind("\n", 0, fit)
        if cut <= 0:
            cut = fit
        parts.append(rest[:cut])
        rest = rest[cut:].lstrip("\n")
    parts.append(rest)
    return parts


def render_reply(reply: Reply) -> list[SendMessageKwargs]:
    """One `send_message` call per text part; only the last part carries the keyboard."""
    parts = split_text(reply.text)
    markup = render_markup(reply)
    last = len(parts) - 1
    return [
        SendMessageKwargs(text=part, reply_markup=markup if index == last else None, parse_mode=None)
        for index, part in enumerate(parts)
    ]
