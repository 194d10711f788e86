"""Playing Telegram's side of a webhook: raw updates, POSTed with the secret, redelivered until a 2xx.

Telegram keeps an update and POSTs it again while the webhook answers anything but 2xx (or does not
answer); `Telegram.deliver` does the same, so a test sees what production would: an update is either
acknowledged after its effects were committed, or offered again.
"""

from __future__ import annotations

import asyncio
import itertools
from typing import Any

import aiohttp

from bot.telegram.callbacks import pack_action
from bot.telegram.webhook import SECRET_HEADER
from dialogs.messages import Action, ActionKind
from tests.fake_bot_api import SentMessage

JsonDict = dict[str, Any]
SECRET = "test-secret_0123"


class Updates:
    """Builds Telegram `Update` objects as JSON, with increasing update ids."""

    def __init__(self, first_update_id: int = 1000) -> None:
        self._update_ids = itertools.count(first_update_id)
        self._message_ids = itertools.count(1)

    def _user(self, user_id: int) -> JsonDict:
        return {"id": user_id, "is_bot": False, "first_name": "Resident", "language_code": "zh-hans"}

    def text(self, user_id: int, text: str) -> JsonDict:
        """A resident typed `text` in their private chat."""
        user = self._user(user_id)
        message = {
            "message_id": next(self._message_ids),
            "date": 1_767_225_600,
            "chat": {"id": user_id, "type": "private", "first_name": "Resident"},
            "from": user,
            "text": text,
        }
        return {"update_id": next(self._update_ids), "message": message}

    def contact(self, user_id: int, phone: str) -> JsonDict:
        """A resident shared their phone number with the contact button."""
        update = self.text(user_id, "")
        del update["message"]["text"]
        update["message"]["contact"] = {"phone_number": phone, "first_name": "Resident", "user_id": user_id}
        return update

    def action(self, user_id: int, action: Action) -> JsonDict:
        """A resident pressed a button carrying `action` (under some earlier bot message)."""
        message = {
            "message_id": next(self._message_ids),
            "date": 1_767_225_600,
            "chat": {"id": user_id, "type": "private", "first_name": "Resident"},
            "text": "",
        }
        query = {
            "id": str(next(self._update_ids)),
            "from": self._user(user_id),
            "message": message,
            "chat_instance": f"ci{user_id}",
            "data": pack_action(action),
        }
        return {"update_id": next(self._update_ids), "callback_query": query}

    def press(self, user_id: int, sent: SentMessage, label: str) -> JsonDict:
        """A resident pressed the button labelled `label` (a substring) under a message the bot sent."""
        for row in sent.inline_buttons():
            for button in row:
                if label in button["text"]:
                    query = {
                        "id": str(next(self._update_ids)),
                        "from": self._user(user_id),
                        "message": sent.raw,
                        "chat_instance": f"ci{user_id}",
                        "data": button["callback_data"],
                    }
                    return {"update_id": next(self._update_ids), "callback_query": query}
        raise AssertionError(f"no button {label!r} in {sent.inline_buttons()}")


async def post_update(
    session: aiohttp.ClientSession, url: str, update: JsonDict, secret: str = SECRET
) -> int:
    """POST one update as Telegram does; returns the HTTP status (0 when the connection failed)."""
    try:
        async with session.post(url, json=update, headers={SECRET_HEADER: secret}) as response:
            await response.read()
            return response.status
    except (aiohttp.ClientError, TimeoutError):
        return 0


async def deliver(
    session: aiohttp.ClientSession, url: str, update: JsonDict, *, within: float = 60, pause: float = 0.2
) -> int:
    """POST until acknowledged with a 2xx, like Telegram; returns how many attempts it took."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    for attempt in itertools.count(1):
        status = await post_update(session, url, update)
        if 200 <= status < 300:
            return attempt
        if loop.time() > deadline:
            raise AssertionError(f"update {update['update_id']} never acknowledged (last status {status})")
        await asyncio.sleep(pause)
    raise AssertionError("unreachable")


def repair_conversation(updates: Updates, user_id: int, room: str) -> list[JsonDict]:
    """A first visit that ends in a repair ticket: 8 updates, 9 answers and one card for the staff group."""
    return [
        updates.text(user_id, "/start"),
        updates.text(user_id, f"我家是{room}"),
        updates.contact(user_id, f"+86138{user_id % 100_000_000:08d}"),
        updates.text(user_id, "厨房水管漏水了，明天下午三点来修吧"),
        updates.action(user_id, Action(ActionKind.ROOM)),
        updates.action(user_id, Action(ActionKind.SKIP)),
        updates.action(user_id, Action(ActionKind.CONFIRM)),
        updates.text(user_id, "/mytickets"),
    ]
