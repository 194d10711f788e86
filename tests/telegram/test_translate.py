"""Translating aiogram objects built from Bot API JSON (no network)."""

from __future__ import annotations

from typing import Any

from aiogram.types import CallbackQuery, Message

from bot.telegram.translate import from_callback_query, from_message
from dialogs.messages import Action, ActionKind, Attachment, AttachmentKind, ChannelName

USER = {"id": 7, "is_bot": False, "first_name": "Li", "language_code": "en"}
PRIVATE = {"id": 7, "type": "private", "first_name": "Li"}


def message(**content: Any) -> Message:
    return Message.model_validate(
        {"message_id": 1, "date": 1_767_225_600, "chat": PRIVATE, "from": USER, **content}
    )


def media(file_id: str, **extra: Any) -> dict[str, Any]:
    return {"file_id": file_id, "file_unique_id": f"u{file_id}", **extra}


def test_text_message() -> None:
    incoming = from_message(message(text="kitchen leak"))
    assert incoming.channel is ChannelName.TELEGRAM
    assert (incoming.chat_id, incoming.user_id, incoming.text) == (7, 7, "kitchen leak")
    assert (incoming.first_name, incoming.language_code, incoming.is_private) == ("Li", "en", True)


def test_media_kinds() -> None:
    cases = {
        "voice": (media("v", duration=3), AttachmentKind.VOICE),
        "video": (media("vd", width=1, height=1, duration=1), AttachmentKind.VIDEO),
        "sticker": (
            media("s", type="regular", width=1, height=1, is_animated=False, is_video=False),
            AttachmentKind.STICKER,
        ),
        "document": (media("d"), AttachmentKind.DOCUMENT),
    }
    for field, (payload, kind) in cases.items():
        assert from_message(message(**{field: payload})).attachments == (
            Attachment(kind, payload["file_id"]),
        )


def test_largest_photo_is_kept_even_if_not_last() -> None:
    sizes = [media("big", width=800, height=600), media("small", width=90, height=60)]
    incoming = from_message(message(photo=sizes, caption="crack"))
    assert incoming.attachments == (Attachment(AttachmentKind.PHOTO, "big"),)
    assert incoming.text == "crack"


def test_gif_is_one_attachment() -> None:
    gif = media("g", width=1, height=1, duration=1)
    incoming = from_message(message(animation=gif, document=media("g")))
    assert incoming.attachments == (Attachment(AttachmentKind.OTHER, "g"),)


def test_anonymous_group_admin_falls_back_to_chat_id() -> None:
    group = {"id": -5, "type": "supergroup", "title": "Staff"}
    raw = {"message_id": 1, "date": 1_767_225_600, "chat": group, "sender_chat": group, "text": "hi"}
    incoming = from_message(Message.model_validate(raw))
    assert (incoming.chat_id, incoming.user_id, incoming.is_private) == (-5, -5, False)


def test_venue_gives_a_location() -> None:
    venue = {"location": {"latitude": 1.5, "longitude": 2.5}, "title": "Gate", "address": "North"}
    location = from_message(message(venue=venue, location={"latitude": 1.5, "longitude": 2.5})).location
    assert location is not None and (location.latitude, location.longitude) == (1.5, 2.5)


def test_callback_query_in_group_and_inline_mode() -> None:
    group_message = {
        "message_id": 3,
        "date": 1_767_225_600,
        "chat": {"id": -9, "type": "group", "title": "Ops"},
    }
    query = CallbackQuery.model_validate(
        {"id": "1", "from": USER, "chat_instance": "c", "data": "a:intent:repair", "message": group_message}
    )
    incoming = from_callback_query(query)
    assert (incoming.chat_id, incoming.user_id, incoming.is_private) == (-9, 7, False)
    assert incoming.action == Action(ActionKind.CHOOSE_INTENT, "repair")

    inline = CallbackQuery.model_validate({"id": "2", "from": USER, "chat_instance": "c", "data": "a:skip:"})
    incoming = from_callback_query(inline)
    assert (incoming.chat_id, incoming.is_private, incoming.action) == (7, True, Action(ActionKind.SKIP))
