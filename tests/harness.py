"""Conversation tests that read like transcripts: `chat.say("…")`, `chat.expect("…")`, `chat.press("确认")`.

The app is the real one (engine, flows, SQLite storage, outbox, the trained NLU) on a fake clock; replies
are delivered through the real outbox sender into a collecting transport, the test double in the manner of
Rasa's `CollectingOutputChannel`.
"""

from __future__ import annotations

import asyncio
import itertools
from dataclasses import dataclass, field, replace
from datetime import datetime

from bot.app import App
from bot.outbox import Delivered, DeliveryResult, OutboxSender
from dialogs.messages import (
    ALERT,
    Attachment,
    AttachmentKind,
    Button,
    ChannelName,
    Contact,
    IncomingMessage,
    Location,
    Outgoing,
    Reply,
)


@dataclass
class CollectingTransport:
    """Keeps every delivered message instead of sending it.

    `delivered` has every message in order, edits included (so `ChatDriver.last` shows them); `edits`
    additionally records which earlier message id each edit replaced. Message ids are made up from 1.
    """

    delivered: list[Outgoing] = field(default_factory=list)
    edits: list[tuple[int, Outgoing]] = field(default_factory=list)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    @property
    def channel(self) -> ChannelName:
        """Conversation tests speak on the console channel."""
        return ChannelName.CONSOLE

    @property
    def files(self) -> list[Outgoing]:
        """The delivered messages that carried a file (a photo or a document)."""
        return [message for message in self.delivered if message.reply.file is not None]

    async def send(self, message: Outgoing, *, edit_message_id: int | None = None) -> DeliveryResult:
        """Collect the message; an edit keeps the id of the message it replaces."""
        self.delivered.append(message)
        if edit_message_id is None:
            return Delivered(external_id=next(self._ids))
        self.edits.append((edit_message_id, message))
        return Delivered(external_id=edit_message_id)


class ChatDriver:
    """One resident chatting with the bot."""

    def __init__(self, app: App, user_id: int = 1001, language_code: str | None = "zh-hans") -> None:
        self.app = app
        self.user_id = user_id
        self.language_code = language_code
        self.transport = CollectingTransport()
        self.sender = OutboxSender(app.uow_factory, self.transport, app.clock)
        self.last: list[Reply] = []
        self.transcript: list[str] = []

    def _base(self) -> IncomingMessage:
        return IncomingMessage(
            channel=ChannelName.CONSOLE,
            chat_id=self.user_id,
            user_id=self.user_id,
            first_name="Test",
            language_code=self.language_code,
        )

    def send(self, message: IncomingMessage) -> list[Reply]:
        """Deliver a message and collect what the bot answers (a button's pop-up alert counts too)."""
        alerts = [m for m in self.app.engine.handle(message) if m.audience == ALERT]
        before = len(self.transport.delivered)
        self.transport.delivered.extend(alerts)
        asyncio.run(self.sender.flush())
        self.last = [m.reply for m in self.transport.delivered[before:] if m.chat_id == self.user_id]
        self.transcript += [f"> {message.text or message.action or message.contact or 'media'}"]
        self.transcript += [reply.text for reply in self.last]
        return self.last

    def register(self, room: str = "3栋2单元502", phone: str = "13812345678") -> None:
        """First contact: /start, the room, the shared phone."""
        self.say("/start")
        self.say(room)
        self.share_contact(phone)

    def say(self, text: str) -> list[Reply]:
        """Type a line."""
        return self.send(replace(self._base(), text=text))

    def press(self, label: str) -> list[Reply]:
        """Press the button (of the latest replies) whose label contains `label`."""
        button = self.button(label)
        return self.send(replace(self._base(), action=button.action))

    def share_contact(self, phone: str, owner: int | None = None) -> list[Reply]:
        """Share a contact card (one's own unless `owner` says otherwise)."""
        contact = Contact(phone=phone, user_id=self.user_id if owner is None else owner)
        return self.send(replace(self._base(), contact=contact))

    def send_photo(self, file_id: str = "photo-1") -> list[Reply]:
        """Send a photo."""
        return self.send(replace(self._base(), attachments=(Attachment(AttachmentKind.PHOTO, file_id),)))

    def send_location(self, latitude: float, longitude: float) -> list[Reply]:
        """Share a map pin."""
        return self.send(replace(self._base(), location=Location(latitude, longitude)))

    def send_voice(self) -> list[Reply]:
        """Send a voice note."""
        return self.send(replace(self._base(), attachments=(Attachment(AttachmentKind.VOICE, "voice-1"),)))

    def button(self, label: str) -> Button:
        """Find a button of the latest replies by part of its label."""
        for reply in reversed(self.last):
            for button in reply.all_buttons():
                if label in button.label:
                    return button
        shown = [b.label for r in self.last for b in r.all_buttons()]
        raise AssertionError(f"no button with {label!r}; shown: {shown}\n" + self.dump())

    def buttons(self) -> list[str]:
        """Labels of the buttons of the latest replies."""
        return [b.label for r in self.last for b in r.all_buttons()]

    def text(self) -> str:
        """All text of the latest replies."""
        return "\n".join(reply.text for reply in self.last)

    def expect(self, *fragments: str) -> str:
        """Assert the latest replies contain every fragment; returns their text."""
        text = self.text()
        for fragment in fragments:
            assert fragment in text, f"expected {fragment!r} in the replies:\n{self.dump()}"
        return text

    def expect_not(self, *fragments: str) -> None:
        """Assert the latest replies contain none of the fragments."""
        text = self.text()
        for fragment in fragments:
            assert fragment not in text, f"did not expect {fragment!r}:\n{self.dump()}"

    def dump(self) -> str:
        """The conversation so far, for assertion messages."""
        return "\n".join(self.transcript[-30:])


def local(app: App, when: str) -> datetime:
    """A site-local time, for comparing stored times."""
    return datetime.fromisoformat(when).replace(tzinfo=app.site.zone)


class Desk:
    """Staff at work: in the staff group and in their private chats (they share the resident's outbox view,
    since one sender delivers every chat of the channel)."""

    def __init__(self, chat: ChatDriver, group: int) -> None:
        self.chat = chat
        self.group = group

    def messages(self, chat_id: int) -> list[Outgoing]:
        """Everything delivered to a chat, edits included, in order."""
        return [m for m in self.chat.transport.delivered if m.chat_id == chat_id]

    def card(self, reference: str, chat_id: int | None = None) -> Reply:
        """The latest version of a ticket's dispatch card in the group (or a private chat)."""
        key = f"ticket:{reference}"
        cards = [m for m in self.messages(self.group if chat_id is None else chat_id) if m.key == key]
        assert cards, f"no card for {reference}"
        return cards[-1].reply

    def last_text(self, chat_id: int) -> str:
        """The newest message text in a chat."""
        messages = self.messages(chat_id)
        return messages[-1].reply.text if messages else ""

    def press(self, user_id: int, label: str, *, chat_id: int | None = None) -> None:
        """`user_id` presses the newest button with `label` shown in the chat (the group by default)."""
        where = self.group if chat_id is None else chat_id
        for message in reversed(self.messages(where)):
            for button in message.reply.all_buttons():
                if label in button.label:
                    self._send(
                        IncomingMessage(
                            channel=ChannelName.CONSOLE,
                            chat_id=where,
                            user_id=user_id,
                            first_name="Staff",
                            action=button.action,
                            is_private=where > 0,
                        )
                    )
                    return
        raise AssertionError(f"no button {label!r} in chat {where}")

    def say(self, user_id: int, text: str) -> None:
        """A staff member types in their private chat with the bot."""
        self._send(
            IncomingMessage(
                channel=ChannelName.CONSOLE, chat_id=user_id, user_id=user_id, first_name="Staff", text=text
            )
        )

    def _send(self, message: IncomingMessage) -> None:
        alerts = [m for m in self.chat.app.engine.handle(message) if m.audience == ALERT]
        self.chat.transport.delivered.extend(alerts)  # pop-ups shown to the presser
        asyncio.run(self.chat.sender.flush())
