"""Translating aiogram updates into platform-neutral `IncomingMessage`s.

This is the only place that knows how Telegram spells a photo, a shared contact or a pressed button; the
engine sees frozen dataclasses. Button data is decoded through the typed `ActionCallback`; data we do not
recognise (an old keyboard, a forged query) becomes an `UNKNOWN` action, which the engine answers with a
"this button has expired" pop-up and never acts on, rather than an error.
"""

from __future__ import annotations

import logging

from aiogram.types import CallbackQuery, Message

from bot.telegram.callbacks import unpack_action
from dialogs.messages import (
    Action,
    ActionKind,
    Attachment,
    AttachmentKind,
    ChannelName,
    Contact,
    IncomingMessage,
    Location,
)

__all__ = ["attachments_of", "from_callback_query", "from_message"]

logger = logging.getLogger(__name__)

PRIVATE_CHAT = "private"


def attachments_of(message: Message) -> tuple[Attachment, ...]:
    """Media of a message; for photos, the largest size (Telegram lists sizes smallest first)."""
    found: list[Attachment] = []
    if message.photo:
        largest = max(message.photo, key=lambda size: (size.width * size.height, size.file_size or 0))
        found.append(Attachment(kind=AttachmentKind.PHOTO, file_id=largest.file_id))
    if message.animation:  # a GIF arrives as both animation and document; keep one
        found.append(Attachment(kind=AttachmentKind.OTHER, file_id=message.animation.file_id))
    elif message.document:
        found.append(Attachment(kind=AttachmentKind.DOCUMENT, file_id=message.document.file_id))
    if message.voice:
        found.append(Attachment(kind=AttachmentKind.VOICE, file_id=message.voice.file_id))
    if message.video:
        found.append(Attachment(kind=AttachmentKind.VIDEO, file_id=message.video.file_id))
    if message.video_note:
        found.append(Attachment(kind=AttachmentKind.VIDEO, file_id=message.video_note.file_id))
    if message.sticker:
        found.append(Attachment(kind=AttachmentKind.STICKER, file_id=message.sticker.file_id))
    if message.audio:
        found.append(Attachment(kind=AttachmentKind.OTHER, file_id=message.audio.file_id))
    return tuple(found)


def _contact_of(message: Message) -> Contact | None:
    if message.contact is None:
        return None
    shared = message.contact
    return Contact(phone=shared.phone_number, user_id=shared.user_id, first_name=shared.first_name)


def _location_of(message: Message) -> Location | None:
    point = message.location or (message.venue.location if message.venue else None)
    if point is None:
        return None
    return Location(latitude=point.latitude, longitude=point.longitude)


def from_message(message: Message) -> IncomingMessage:
    """A resident's (or staff member's) message; anonymous senders fall back to the chat's id."""
    user = message.from_user
    return IncomingMessage(
        channel=ChannelName.TELEGRAM,
        chat_id=message.chat.id,
        user_id=user.id if user else message.chat.id,
        text=message.text or message.caption or "",
        first_name=user.first_name if user else "",
        language_code=user.language_code if user else None,
        contact=_contact_of(message),
        attachments=attachments_of(message),
        location=_location_of(message),
        is_private=message.chat.type == PRIVATE_CHAT,
    )


def from_callback_query(query: CallbackQuery) -> IncomingMessage:
    """A pressed inline button; a button under an inline-mode message has no chat, so the user's is used."""
    chat = query.message.chat if query.message is not None else None
    action = unpack_action(query.data)
    if action is None:  # unpack_action already warned about data that is not ours
        logger.debug("callback query without a usable action", extra={"user_id": query.from_user.id})
        action = Action(kind=ActionKind.UNKNOWN)
    return IncomingMessage(
        channel=ChannelName.TELEGRAM,
        chat_id=chat.id if chat else query.from_user.id,
        user_id=query.from_user.id,
        first_name=query.from_user.first_name,
        language_code=query.from_user.language_code,
        action=action,
        is_private=chat.type == PRIVATE_CHAT if chat else True,
    )
