"""Raw Telegram updates as JSON, the way the Bot API delivers them, for feeding the real dispatcher.

Every builder returns a plain dict so the same update can go through `Update.model_validate` (the property
test, the examples) or be POSTed to the webhook as Telegram would (the load benchmark).
"""

from __future__ import annotations

import itertools
from typing import Any

JsonDict = dict[str, Any]
DATE = 1_795_000_000  # 2026-11-18; the engine never reads Telegram's dates, only its own clock

CHAT_TYPES = ("private", "group", "supergroup", "channel")


class UpdateFactory:
    """Builds updates with increasing update, message and callback ids."""

    def __init__(self, first_update_id: int = 1) -> None:
        self._update_ids = itertools.count(first_update_id)
        self._message_ids = itertools.count(1)

    @staticmethod
    def user(user_id: int, first_name: str = "Resident", language_code: str | None = "zh-hans") -> JsonDict:
        """A Telegram user object."""
        user: JsonDict = {"id": user_id, "is_bot": False, "first_name": first_name}
        if language_code is not None:
            user["language_code"] = language_code
        return user

    @staticmethod
    def chat(chat_id: int, chat_type: str = "private") -> JsonDict:
        """A chat object; groups and channels have a title, private chats a first name."""
        if chat_type == "private":
            return {"id": chat_id, "type": chat_type, "first_name": "Resident"}
        return {"id": chat_id, "type": chat_type, "title": "Estate"}

    def message(
        self,
        user_id: int,
        *,
        chat_id: int | None = None,
        chat_type: str = "private",
        first_name: str = "Resident",
        language_code: str | None = "zh-hans",
        kind: str = "message",
        **content: Any,
    ) -> JsonDict:
        """A message update (`kind` may be edited_message or channel_post) with any content fields."""
        message: JsonDict = {
            "message_id": next(self._message_ids),
            "date": DATE,
            "chat": self.chat(user_id if chat_id is None else chat_id, chat_type),
            **content,
        }
        if chat_type != "channel":
            message["from"] = self.user(user_id, first_name, language_code)
        if kind == "edited_message":
            message["edit_date"] = DATE + 60
        return {"update_id": next(self._update_ids), kind: message}

    def text(self, user_id: int, text: str, **options: Any) -> JsonDict:
        """A typed message."""
        return self.message(user_id, text=text, **options)

    def callback(
        self, user_id: int, data: str | None, *, chat_id: int | None = None, chat_type: str = "private"
    ) -> JsonDict:
        """A pressed inline button under an earlier bot message, with any (possibly forged) data."""
        bot_message = {
            "message_id": next(self._message_ids),
            "date": DATE,
            "chat": self.chat(user_id if chat_id is None else chat_id, chat_type),
            "from": {"id": 123456, "is_bot": True, "first_name": "Frontdesk"},
            "text": "…",
        }
        query: JsonDict = {
            "id": f"q{next(self._message_ids)}",
            "from": self.user(user_id),
            "message": bot_message,
            "chat_instance": f"ci{user_id}",
        }
        if data is not None:
            query["data"] = data
        return {"update_id": next(self._update_ids), "callback_query": query}


def photo(file_id: str = "photo-1") -> list[JsonDict]:
    """Telegram's photo sizes, smallest first."""
    return [
        {"file_id": f"{file_id}-s", "file_unique_id": f"{file_id}-su", "width": 90, "height": 60},
        {"file_id": file_id, "file_unique_id": f"{file_id}-u", "width": 1280, "height": 960},
    ]


def sticker(file_id: str = "sticker-1") -> JsonDict:
    """A static sticker."""
    return {
        "file_id": file_id,
        "file_unique_id": f"{file_id}-u",
        "type": "regular",
        "width": 512,
        "height": 512,
        "is_animated": False,
        "is_video": False,
    }


def voice(file_id: str = "voice-1") -> JsonDict:
    """A voice note."""
    return {"file_id": file_id, "file_unique_id": f"{file_id}-u", "duration": 3}


def document(file_id: str = "doc-1") -> JsonDict:
    """A document."""
    return {"file_id": file_id, "file_unique_id": f"{file_id}-u", "file_name": "a.pdf"}
