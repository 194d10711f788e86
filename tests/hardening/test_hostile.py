"""Hostile and bad input, one example each, through the real dispatcher into the real engine.

Each case gets a clear answer or is ignored on purpose, never an exception and never a lost ticket.
"""

from __future__ import annotations

import sqlalchemy as sa

from bot.telegram.callbacks import pack_action
from bot.telegram.render import render_reply
from dialogs.messages import ALERT, Action, ActionKind
from tests.hardening.conftest import Feeder
from tests.hardening.updates import document, photo, sticker, voice

RESIDENT = 4242


def zh(feeder: Feeder, key: str, **params: object) -> str:
    return feeder.app.catalog.t("zh", key, **params)


def count(feeder: Feeder, table: str) -> int:
    with feeder.app.db.connect() as connection:
        return int(connection.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one())


def descriptions(feeder: Feeder) -> list[str]:
    with feeder.app.db.connect() as connection:
        return [str(row[0]) for row in connection.execute(sa.text("SELECT description FROM tickets"))]


async def test_text_over_telegrams_limit_is_refused_politely_and_keeps_the_open_question(
    feeder: Feeder,
) -> None:
    assert await feeder.say(RESIDENT, "/start")  # onboarding asks for the room
    replies = await feeder.say(RESIDENT, "漏" * 5000)
    assert [r.reply.text for r in replies] == [zh(feeder, "common.too_long", limit=2000)]
    assert count(feeder, "tickets") == 0
    again = await feeder.say(RESIDENT, "3栋2单元502")
    assert "电话" in again[-1].reply.text  # onboarding went on where it was: the phone comes next


async def test_empty_and_blank_text_get_a_prompt(feeder: Feeder) -> None:
    for text in ("", "   \n\t "):
        replies = await feeder.say(RESIDENT, text)
        assert [r.reply.text for r in replies] == [zh(feeder, "common.media_without_context")]


async def test_emoji_only_gets_an_answer(feeder: Feeder) -> None:
    replies = await feeder.say(RESIDENT, "😀🙏🏻🔥💧" * 3)
    assert replies and all(r.chat_id == RESIDENT and r.reply.text for r in replies)


async def test_control_characters_never_reach_storage_or_replies(feeder: Feeder) -> None:
    await feeder.say(
        RESIDENT, "建议小区\x00多装几个\x1b[31m电动车充电桩\x07，方便大家", first_name="Li\x00\x08"
    )
    assert descriptions(feeder) and all(
        not any(ord(ch) < 32 and ch not in "\n\t" for ch in text) for text in descriptions(feeder)
    )
    with feeder.app.db.connect() as connection:
        [name] = connection.execute(sa.text("SELECT display_name FROM residents")).scalars()
    assert name == "Li"


async def test_sql_injection_is_stored_as_plain_text(feeder: Feeder) -> None:
    attack = "建议小区多装电动车充电桩'); DROP TABLE tickets; -- \" OR 1=1 --"
    await feeder.say(RESIDENT, attack)
    [stored] = descriptions(feeder)
    assert "DROP TABLE tickets" in stored and count(feeder, "tickets") == 1


async def test_markup_in_resident_text_is_echoed_literally_without_a_parse_mode(feeder: Feeder) -> None:
    markup = "建议小区多装 <b>充电桩</b> *太少* _了_ [看](http://x.invalid) </pre>&amp;"
    replies = await feeder.say(RESIDENT, markup)
    [stored] = descriptions(feeder)
    assert "<b>充电桩</b> *太少* _了_ [看](http://x.invalid) </pre>&amp;" in stored
    staff_cards = [r for r in replies if r.chat_id != RESIDENT]
    for outgoing in replies:
        assert all(call["parse_mode"] is None for call in render_reply(outgoing.reply))
    assert all("<b>充电桩</b>" in card.reply.text for card in staff_cards)  # staff see what was typed


async def test_unsupported_media_outside_and_inside_a_conversation(feeder: Feeder) -> None:
    [alone] = await feeder.feed(feeder.updates.message(RESIDENT, sticker=sticker()))
    assert [r.reply.text for r in alone.replies] == [zh(feeder, "common.media_without_context")]
    await feeder.say(RESIDENT, "/start")
    for update in (
        feeder.updates.message(RESIDENT, voice=voice()),
        feeder.updates.message(RESIDENT, document=document()),
    ):
        [inside] = await feeder.feed(update)
        assert [r.reply.text for r in inside.replies] == [zh(feeder, "common.unsupported_media")]
    [with_photo] = await feeder.feed(feeder.updates.message(RESIDENT, photo=photo(), caption="3栋2单元502"))
    assert with_photo.replies  # a photo with a caption is read like text


async def test_forged_callback_data_gets_a_stale_button_pop_up(feeder: Feeder) -> None:
    for data in ("a:explode:now", "'; DROP TABLE tickets; --", "x" * 64, None, "a:s_acc:R2611270001\x00"):
        [handled] = await feeder.feed(feeder.updates.callback(RESIDENT, data))
        assert handled.message.action == Action(ActionKind.UNKNOWN)
        assert [(r.audience, r.reply.text) for r in handled.replies] == [
            (ALERT, zh(feeder, "common.stale_button"))
        ]
    answers = feeder.api.calls_to("answerCallbackQuery")
    assert len(answers) == 5 and all(call.params.get("show_alert") for call in answers)


async def test_stale_but_well_formed_button_is_answered(feeder: Feeder) -> None:
    [handled] = await feeder.feed(feeder.updates.callback(RESIDENT, pack_action(Action(ActionKind.CONFIRM))))
    assert [r.reply.text for r in handled.replies] == [zh(feeder, "common.stale_button")]
    assert count(feeder, "tickets") == 0


async def test_edited_messages_are_answered_in_private_and_ignored_in_groups(feeder: Feeder) -> None:
    [private] = await feeder.feed(feeder.updates.text(RESIDENT, "我要投诉物业", kind="edited_message"))
    assert [r.reply.text for r in private.replies] == [zh(feeder, "common.edit_not_read")]
    group_edit = feeder.updates.text(
        RESIDENT, "我要投诉", kind="edited_message", chat_id=-100, chat_type="group"
    )
    assert await feeder.feed(group_edit) == []
    assert count(feeder, "tickets") == 0


async def test_group_and_channel_chatter_is_ignored_without_touching_the_database(feeder: Feeder) -> None:
    for chat_type in ("group", "supergroup"):
        [handled] = await feeder.feed(
            feeder.updates.text(RESIDENT, "我要投诉，楼下油烟太大", chat_id=-1001, chat_type=chat_type)
        )
        assert handled.replies == [] and handled.flood is None
    assert (
        await feeder.feed(feeder.updates.text(-1002, "公告", chat_type="channel", kind="channel_post")) == []
    )
    assert count(feeder, "residents") == 0 and count(feeder, "tickets") == 0 and count(feeder, "outbox") == 0
