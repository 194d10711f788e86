"""Random Telegram updates through the real dispatcher: the bot always answers or ignores on purpose.

Hypothesis builds sequences of updates — text of any unicode (empty, huge, control characters, markup),
captions with photos, stickers, voice, documents, edited messages, button presses with random or forged
data, group/supergroup/channel chats, a few residents and random strangers — and feeds them through
aiogram's `Dispatcher.feed_update` into the real engine on SQLite.

Deliberately ignored, and only these: chatter in groups (the bot serves only its buttons there), edits in
groups, channel posts, and messages dropped by the flood limit after its one notice. Everything else from a
private chat must get a reply in that chat (or a pop-up for a press), and every press is answered so its
spinner stops. After each sequence the database must be consistent: every ticket has its `created` event,
references are unique, no outbox row lacks a chat or an intact payload, every conversation state loads.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.app import App
from bot.telegram.callbacks import pack_action
from dialogs.clock import FakeClock
from dialogs.flood import FloodVerdict
from dialogs.flows.base import FlowName
from dialogs.messages import Action, ActionKind
from storage.codec import outgoing_from_payload
from tests.fake_bot_api import FakeBotApi
from tests.hardening.conftest import Feeder, make_feeder
from tests.hardening.updates import JsonDict, UpdateFactory, document, photo, sticker, voice

RESIDENTS = (701, 702, 703)
_SEQUENCE_IDS = itertools.count(1)  # update ids must not repeat across sequences: repeats are deduped
PHRASES = (
    "/start",
    "/help",
    "/mytickets",
    "/cancel",
    "/lang",
    "/lang en",
    "/household 3栋",
    "/nosuchcommand",
    "3栋2单元502",
    "13800000000",
    "厨房水管漏水了",
    "楼道里冒烟了，好像着火了！",
    "我要投诉，楼下油烟太大",
    "建议小区多装几个电动车充电桩",
    "物业费怎么交？",
    "帮我订两桶桶装水",
    "谢谢",
    "不是",
    "好的",
    "明天下午三点",
    "the corridor light on floor 5 is out",
    "I want to talk to a person",
    "1",
    "2",
)
_texts = st.one_of(
    st.sampled_from(PHRASES),
    st.text(max_size=40),
    st.text(alphabet=st.characters(codec="utf-8", categories=["Cc", "Cf", "Zs", "So"]), max_size=20),
    st.builds(lambda ch, n: ch * n, st.characters(codec="utf-8"), st.integers(2001, 5000)),
    st.just("<b>x</b> *y* _z_ [a](http://x.invalid) `c` &amp; '; DROP TABLE tickets; --"),
)
_actions = st.builds(
    lambda kind, arg: pack_action(Action(kind=kind, arg=arg)),
    st.sampled_from(list(ActionKind)),
    st.one_of(
        st.sampled_from(["", "zh", "en", "repair", "R2611270001", "R2611270001|yes", "0", "99"]),
        st.text(alphabet=st.characters(codec="ascii", exclude_characters=":"), max_size=20),
    ),
)
_callback_data = st.one_of(_actions, st.text(max_size=70), st.none())
_users = st.one_of(st.sampled_from(RESIDENTS), st.integers(1, 2**40))
_chat_types = st.sampled_from(["private"] * 6 + ["group", "supergroup"])


@st.composite
def updates(draw: st.DrawFn) -> tuple[str, JsonDict | dict[str, Any]]:
    """One random update, as (kind, builder arguments) turned into JSON later by the factory."""
    kind = draw(st.sampled_from(["text"] * 6 + ["media", "edited", "callback"] * 2 + ["channel_post"]))
    user = draw(_users)
    chat_type = draw(_chat_types)
    chat = {} if chat_type == "private" else {"chat_id": -1_000_000 - user % 7, "chat_type": chat_type}
    if kind == "text":
        return kind, {"user_id": user, "text": draw(_texts), "first_name": draw(st.text(max_size=64)), **chat}
    if kind == "edited":
        return kind, {"user_id": user, "text": draw(_texts), "kind": "edited_message", **chat}
    if kind == "media":
        media = draw(st.sampled_from(["photo", "sticker", "voice", "document"]))
        files: dict[str, Any] = {
            "photo": photo(),
            "sticker": sticker(),
            "voice": voice(),
            "document": document(),
        }
        content: dict[str, Any] = {media: files[media]}
        if media in ("photo", "document") and draw(st.booleans()):
            content["caption"] = draw(_texts)[:1024]
        return kind, {"user_id": user, **content, **chat}
    if kind == "callback":
        return kind, {"user_id": user, "data": draw(_callback_data), **chat}
    return kind, {"user_id": -1_000_999, "text": draw(_texts), "chat_type": "channel", "kind": "channel_post"}


def build(factory: UpdateFactory, kind: str, arguments: dict[str, Any]) -> JsonDict:
    if kind == "callback":
        return factory.callback(**arguments)
    return factory.message(**arguments)


async def run_sequence(app: App, sequence: list[tuple[str, dict[str, Any]]]) -> None:
    async with FakeBotApi() as api:
        feeder = make_feeder(app, api)
        feeder.updates = UpdateFactory(first_update_id=next(_SEQUENCE_IDS) * 1000)
        try:
            for kind, arguments in sequence:
                await check_one(feeder, kind, arguments)
        finally:
            await feeder.bot.session.close()


async def check_one(feeder: Feeder, kind: str, arguments: dict[str, Any]) -> None:
    presses_before = len(feeder.api.calls_to("answerCallbackQuery"))
    handled = await feeder.feed(build(feeder.updates, kind, arguments))  # no exception may escape
    private = arguments.get("chat_type", "private") == "private"
    if kind == "channel_post" or (kind == "edited" and not private):
        assert handled == [], "ignored on purpose, never handed to the engine"
        return
    [one] = handled
    if kind == "callback":
        assert len(feeder.api.calls_to("answerCallbackQuery")) == presses_before + 1, "the press is answered"
    if not private and kind != "callback":
        assert one.replies == [] and one.flood is None, "group chatter is ignored before the flood guard"
        return
    if private and one.flood is not FloodVerdict.DROP:
        assert one.answers_chat(), f"unanswered private {kind}: {one.message}"


def check_database(app: App) -> None:
    with app.db.connect() as connection:
        orphans = connection.execute(
            sa.text(
                "SELECT count(*) FROM tickets t WHERE NOT EXISTS "
                "(SELECT 1 FROM ticket_events e WHERE e.ticket_id = t.id AND e.kind = 'created')"
            )
        ).scalar_one()
        assert orphans == 0, "every ticket has its created event"
        total, distinct = connection.execute(
            sa.text("SELECT count(*), count(DISTINCT reference) FROM tickets")
        ).one()
        assert total == distinct, "ticket references are unique"
        for channel, chat_id, audience, payload in connection.execute(
            sa.text("SELECT channel, chat_id, audience, payload FROM outbox")
        ):
            assert channel and chat_id, "no outbox row without a chat"
            decoded = payload if isinstance(payload, dict) else json.loads(payload)
            assert outgoing_from_payload(channel=channel, chat_id=chat_id, audience=audience, payload=decoded)
        chats = connection.execute(sa.text("SELECT channel, chat_id FROM conversations")).all()
    known = {str(name) for name in FlowName}
    with app.uow_factory() as uow:
        for channel, chat_id in chats:
            conversation = uow.conversations.load(channel=channel, chat_id=chat_id)
            assert conversation is not None and (conversation.flow is None or conversation.flow in known)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)
@given(sequence=st.lists(updates(), min_size=1, max_size=12))
def test_random_updates_are_answered_or_ignored_on_purpose_and_the_database_stays_consistent(
    app: App, sequence: list[tuple[str, dict[str, Any]]]
) -> None:
    clock = app.clock
    assert isinstance(clock, FakeClock)
    clock.advance(timedelta(minutes=5))  # each sequence starts with refilled flood buckets
    asyncio.run(run_sequence(app, sequence))
    check_database(app)
