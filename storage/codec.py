"""JSON shapes of the structured values storage keeps: outgoing replies and conversation state.

Explicit, versioned dictionaries instead of pickles: a row written by one release must stay readable by
the next, by another worker, and by a person looking at the database. Decoding is strict (an unknown action
kind or payload version raises) so that a bad row surfaces as an error, not as a silently wrong reply.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from dialogs.domain import Conversation
from dialogs.messages import Action, ActionKind, Button, ChannelName, FileKind, Outgoing, OutgoingFile, Reply

__all__ = [
    "REPLY_PAYLOAD_VERSION",
    "conversation_from_state",
    "conversation_to_state",
    "outgoing_from_payload",
    "outgoing_to_payload",
    "reply_from_json",
    "reply_to_json",
]

REPLY_PAYLOAD_VERSION = 1


def reply_to_json(reply: Reply) -> dict[str, Any]:
    """Serialise a `Reply` for the outbox `payload` column."""
    payload: dict[str, Any] = {
        "v": REPLY_PAYLOAD_VERSION,
        "text": reply.text,
        "buttons": [
            [{"label": b.label, "kind": b.action.kind.value, "arg": b.action.arg} for b in row]
            for row in reply.buttons
        ],
        "request_contact_label": reply.request_contact_label,
        "remove_keyboard": reply.remove_keyboard,
    }
    if reply.file is not None:  # only when set: payloads without a file stay what earlier releases wrote
        payload["file"] = {
            "kind": reply.file.kind.value,
            "path": reply.file.path,
            "filename": reply.file.filename,
        }
    return payload


def reply_from_json(payload: dict[str, Any]) -> Reply:
    """Rebuild the `Reply` stored by `reply_to_json`."""
    version = payload.get("v", REPLY_PAYLOAD_VERSION)
    if version != REPLY_PAYLOAD_VERSION:
        raise ValueError(f"unsupported reply payload version: {version!r}")
    rows = tuple(
        tuple(
            Button(
                label=str(b["label"]), action=Action(kind=ActionKind(b["kind"]), arg=str(b.get("arg", "")))
            )
            for b in row
        )
        for row in payload.get("buttons", [])
    )
    label = payload.get("request_contact_label")
    stored_file = payload.get("file")
    file = (
        None
        if stored_file is None
        else OutgoingFile(
            kind=FileKind(stored_file["kind"]),
            path=str(stored_file["path"]),
            filename=str(stored_file["filename"]),
        )
    )
    return Reply(
        text=str(payload["text"]),
        buttons=rows,
        request_contact_label=None if label is None else str(label),
        remove_keyboard=bool(payload.get("remove_keyboard", False)),
        file=file,
    )


def outgoing_to_payload(message: Outgoing) -> dict[str, Any]:
    """The outbox `payload` of a message: its reply, plus its edit-in-place `key` when it has one.

    The key is added only when set, so payloads without one are exactly what earlier releases wrote and
    the payload version stays the same: an older row simply has no key.
    """
    payload = reply_to_json(message.reply)
    if message.key is not None:
        payload["key"] = message.key
    return payload


def outgoing_from_payload(*, channel: str, chat_id: int, audience: str, payload: dict[str, Any]) -> Outgoing:
    """Rebuild the `Outgoing` of an outbox row; the address and audience live in their own columns."""
    key = payload.get("key")
    return Outgoing(
        channel=ChannelName(channel),
        chat_id=chat_id,
        reply=reply_from_json(payload),
        audience=audience,
        key=None if key is None else str(key),
    )


def conversation_to_state(conversation: Conversation) -> dict[str, Any]:
    """The `state` column of a conversation; the key (channel, chat) and time live in their own columns."""
    return {
        "version": conversation.version,
        "flow": conversation.flow,
        "step": conversation.step,
        "slots": dict(conversation.slots),
        "misses": conversation.misses,
    }


def conversation_from_state(
    *, channel: str, chat_id: int, state: dict[str, Any], updated_at: datetime | None
) -> Conversation:
    """Rebuild a `Conversation`.

    The version is handed back untouched: the flows own the meaning of `slots`, so upgrading an old
    state is their decision, not storage's.
    """
    return Conversation(
        channel=channel,
        chat_id=chat_id,
        flow=state.get("flow"),
        step=state.get("step"),
        slots=dict(state.get("slots") or {}),
        misses=int(state.get("misses", 0)),
        version=int(state.get("version", 1)),
        updated_at=updated_at,
    )
