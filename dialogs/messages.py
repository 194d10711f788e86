"""Platform-neutral messages exchanged between channels and the dialog engine.

Channels (Telegram, console, tests) translate their native updates into `IncomingMessage` and render
`Reply` objects back; the engine never sees a platform type. Everything is a frozen dataclass so that
what crosses a layer cannot be changed behind the other side's back.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class ChannelName(StrEnum):
    """Where a message came from or goes to."""

    TELEGRAM = "telegram"
    CONSOLE = "console"


class AttachmentKind(StrEnum):
    """Media kinds a channel can hand over; only photos are attached to tickets."""

    PHOTO = "photo"
    DOCUMENT = "document"
    VOICE = "voice"
    VIDEO = "video"
    STICKER = "sticker"
    OTHER = "other"


class ActionKind(StrEnum):
    """What a pressed button means; the argument narrows it (an intent name, a category …)."""

    CHOOSE_INTENT = "intent"
    CONFIRM = "confirm"
    EDIT = "edit"
    CANCEL = "cancel"
    CATEGORY = "category"
    SKIP = "skip"
    LANGUAGE = "lang"
    HANDOFF = "handoff"
    ROOM = "room"
    SERVICE = "service"
    PAGE = "page"
    SLOT = "slot"
    # Staff buttons on dispatch notifications; the argument is the ticket reference (and a target after "|").
    STAFF_ACCEPT = "s_acc"
    STAFF_TRANSFER = "s_xfer"
    STAFF_TRANSFER_TO = "s_xto"
    STAFF_REPLY = "s_reply"
    STAFF_RESOLVE = "s_res"
    STAFF_REASSIGN = "s_reas"
    STAFF_REASSIGN_TO = "s_rto"
    STAFF_CLOSE = "s_close"
    # The resident's answer to "is it fixed?": argument "REF|yes" or "REF|no".
    DONE_CHECK = "done"
    # A resident's answer to a callback follow-up (回访) or a survey question; the argument names it.
    FOLLOWUP = "fu"
    SURVEY = "sv"
    # A press whose data could not be read (an old keyboard, a forged query): answered, never acted on.
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Action:
    """A typed button payload. Channels encode it (Telegram: `CallbackData`), never as free text."""

    kind: ActionKind
    arg: str = ""


@dataclass(frozen=True)
class Attachment:
    """A file the resident sent; `file_id` is the channel's own handle for it."""

    kind: AttachmentKind
    file_id: str


@dataclass(frozen=True)
class Location:
    """A shared map location."""

    latitude: float
    longitude: float


@dataclass(frozen=True)
class Contact:
    """A shared contact card (Telegram's "share my phone" button fills it)."""

    phone: str
    user_id: int | None = None
    first_name: str = ""


@dataclass(frozen=True)
class IncomingMessage:
    """One thing a person did in a chat: typed text, pressed a button, or sent media."""

    channel: ChannelName
    chat_id: int
    user_id: int
    text: str = ""
    first_name: str = ""
    language_code: str | None = None
    action: Action | None = None
    contact: Contact | None = None
    attachments: tuple[Attachment, ...] = ()
    location: Location | None = None
    is_private: bool = True
    # The channel's id of the update that carried this (Telegram `update_id`): recorded with the effects so
    # a redelivered update is recognised and has none. None where the channel has no ids (console, tests).
    update_id: int | None = None
    # An edit of an earlier message: not re-read (the first reading already acted), only answered.
    edited: bool = False


@dataclass(frozen=True)
class Button:
    """An inline button: a label for people and a typed action for the engine."""

    label: str
    action: Action


class FileKind(StrEnum):
    """How a file we send is shown: a photo inline, or a document to download."""

    PHOTO = "photo"
    DOCUMENT = "document"


@dataclass(frozen=True)
class OutgoingFile:
    """A file to send with a reply (a report chart, a spreadsheet, an archive); the reply's text is its
    caption. `path` is a file the bot wrote under its var directory: the outbox stores the path, not the
    bytes, so the file must stay there until the message is delivered. `filename` is what the reader sees."""

    kind: FileKind
    path: str
    filename: str


@dataclass(frozen=True)
class Reply:
    """Something to show in a chat. Rich parts degrade to text on channels that lack them."""

    text: str
    buttons: tuple[tuple[Button, ...], ...] = ()
    request_contact_label: str | None = None
    remove_keyboard: bool = False
    file: OutgoingFile | None = None

    def all_buttons(self) -> list[Button]:
        """Buttons in reading order, for channels that list them numbered."""
        return [button for row in self.buttons for button in row]


ALERT = "alert"  # an `Outgoing` audience: a pop-up for whoever pressed the button, not a chat message


@dataclass(frozen=True)
class Outgoing:
    """A reply addressed to a chat; the unit the outbox stores and a sender delivers.

    `key` names a message that shows something's current state (e.g. "ticket:R2611270001" in the staff
    group). When set, a later `Outgoing` with the same (channel, chat_id, key) edits the message delivered
    earlier instead of sending a new one, so the chat keeps one up-to-date message rather than a trail of
    stale ones. Without a key every message is new.

    `once` makes a message at-most-once (a callback question): if its sender dies mid-send it is not sent
    again blindly but handed for review under this id (see `OutboxRepository.take_unknown`).
    """

    channel: ChannelName
    chat_id: int
    reply: Reply
    audience: str = field(default="resident")
    key: str | None = None
    once: str | None = None
