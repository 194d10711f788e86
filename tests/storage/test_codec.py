"""The JSON shapes of replies and conversation state."""

from __future__ import annotations

import json

import pytest

from dialogs.domain import Conversation
from dialogs.messages import Action, ActionKind, Button, Reply
from storage.codec import conversation_from_state, conversation_to_state, reply_from_json, reply_to_json


def test_reply_survives_a_json_round_trip() -> None:
    reply = Reply(
        text="请选择",
        buttons=(
            (Button("报修", Action(ActionKind.CHOOSE_INTENT, "repair")),),
            (Button("取消", Action(ActionKind.CANCEL)),),
        ),
        request_contact_label="分享手机号",
        remove_keyboard=True,
    )
    payload = json.loads(json.dumps(reply_to_json(reply)))
    assert payload["buttons"][0][0] == {"label": "报修", "kind": "intent", "arg": "repair"}
    assert reply_from_json(payload) == reply


def test_plain_reply_round_trip() -> None:
    assert reply_from_json(reply_to_json(Reply(text="hi"))) == Reply(text="hi")


def test_unknown_action_kind_or_version_is_an_error() -> None:
    payload = reply_to_json(Reply(text="x", buttons=((Button("b", Action(ActionKind.SKIP)),),)))
    payload["buttons"][0][0]["kind"] = "nonsense"
    with pytest.raises(ValueError):
        reply_from_json(payload)
    with pytest.raises(ValueError, match="version"):
        reply_from_json({**reply_to_json(Reply(text="x")), "v": 99})


def test_conversation_state_keeps_version_and_slots() -> None:
    conversation = Conversation(
        channel="console",
        chat_id=7,
        flow="complaint",
        step="ask_detail",
        slots={"a": [1, 2]},
        misses=2,
        version=3,
    )
    state = json.loads(json.dumps(conversation_to_state(conversation)))
    assert state["version"] == 3
    rebuilt = conversation_from_state(channel="console", chat_id=7, state=state, updated_at=None)
    assert rebuilt == conversation
