"""Callback data packing and Reply rendering (pure functions)."""

from __future__ import annotations

import pytest
from aiogram.types import InlineKeyboardMarkup, ReplyKeyboardMarkup, ReplyKeyboardRemove

from bot.telegram.callbacks import MAX_CALLBACK_LENGTH, ActionCallback, pack_action, unpack_action
from bot.telegram.render import render_markup, render_reply, split_text
from dialogs.messages import Action, ActionKind, Button, Reply


@pytest.mark.parametrize("kind", list(ActionKind))
def test_every_action_kind_round_trips(kind: ActionKind) -> None:
    action = Action(kind, "维修-plumbing")
    assert unpack_action(pack_action(action)) == action


def test_long_arguments_are_cut_to_64_bytes_on_a_character_boundary() -> None:
    action = Action(ActionKind.CATEGORY, "水电" * 40)
    data = pack_action(action)
    assert len(data.encode()) <= MAX_CALLBACK_LENGTH
    unpacked = unpack_action(data)
    assert unpacked is not None and unpacked.kind is ActionKind.CATEGORY
    assert action.arg.startswith(unpacked.arg) and len(unpacked.arg) > 10


def test_separator_in_argument_is_refused() -> None:
    with pytest.raises(ValueError):
        pack_action(Action(ActionKind.ROOM, "3:502"))


@pytest.mark.parametrize(
    "data", [None, "", "a:explode:x", "b:confirm:x", "a:confirm", "a:confirm:x:y", "garbage"]
)
def test_foreign_or_forged_data_is_not_an_action(data: str | None) -> None:
    assert unpack_action(data) is None


def test_callback_model_exposes_the_action() -> None:
    assert ActionCallback.unpack("a:lang:en").to_action() == Action(ActionKind.LANGUAGE, "en")


def test_plain_reply_has_no_markup_and_no_parse_mode() -> None:
    [kwargs] = render_reply(Reply(text="您好 <b>*_[x](y)"))
    assert kwargs == {"text": "您好 <b>*_[x](y)", "reply_markup": None, "parse_mode": None}


def test_buttons_become_an_inline_keyboard_with_typed_data() -> None:
    reply = Reply(
        text="?",
        buttons=((Button("是", Action(ActionKind.CONFIRM)), Button("否", Action(ActionKind.CANCEL))), ()),
    )
    markup = render_markup(reply)
    assert isinstance(markup, InlineKeyboardMarkup)
    assert [[(b.text, b.callback_data) for b in row] for row in markup.inline_keyboard] == [
        [("是", "a:confirm:"), ("否", "a:cancel:")]
    ]


def test_contact_request_wins_over_buttons_and_is_one_time() -> None:
    reply = Reply(
        text="?", buttons=((Button("跳过", Action(ActionKind.SKIP)),),), request_contact_label="分享"
    )
    markup = render_markup(reply)
    assert isinstance(markup, ReplyKeyboardMarkup)
    assert markup.one_time_keyboard
    [[button]] = markup.keyboard
    assert button.text == "分享" and button.request_contact


def test_remove_keyboard() -> None:
    assert isinstance(render_markup(Reply(text="ok", remove_keyboard=True)), ReplyKeyboardRemove)


def test_long_text_is_split_with_the_keyboard_on_the_last_part() -> None:
    text = "\n".join(f"第{n}行 " + "字" * 50 for n in range(200))
    parts = render_reply(Reply(text=text, remove_keyboard=True))
    assert len(parts) == 3
    assert all(len(part["text"]) <= 4096 for part in parts)
    assert [part["reply_markup"] is None for part in parts] == [True, True, False]
    assert "\n".join(part["text"] for part in parts) == text  # cut at line breaks, nothing lost


def test_split_counts_utf16_units_like_telegram() -> None:
    text = "😀" * 3000  # 6000 UTF-16 code units
    parts = split_text(text)
    assert [len(part) for part in parts] == [2048, 952]
    assert split_text("short") == ["short"]
