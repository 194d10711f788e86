"""aiogram's models are built on first use (`bot.telegram.lazy_models`), in a fresh interpreter, the way a
worker process imports them: nothing is built by the import, and what is used validates as usual."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from typing import Any

from bot.settings import repo_root

SCRIPT = textwrap.dedent(
    """
    import json
    import bot.telegram  # first, as in a worker: aiogram is imported through it
    from aiogram.methods import EditMessageText, SendMessage
    from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message, Update

    built_at_import = [m.__name__ for m in (Update, Message, CallbackQuery) if m.__pydantic_complete__]
    from aiogram.methods import AnswerCallbackQuery
    from bot.telegram.lazy_models import build_now
    build_now(AnswerCallbackQuery)  # what a worker builds at start-up
    built_now = AnswerCallbackQuery.__pydantic_complete__
    def first_use_with_look_alikes():
        from dialogs.messages import Location  # a name aiogram has too, local where the build happens
        User = dict
        return Update.model_validate({
            "update_id": 8,
            "message": {
                "message_id": 4, "date": 0, "chat": {"id": 5, "type": "private"},
                "from": {"id": 5, "is_bot": False, "first_name": "王"},
                "location": {"latitude": 31.2, "longitude": 121.5},
            },
        })

    located = first_use_with_look_alikes()  # the first use of Update builds it here
    update = Update.model_validate({
        "update_id": 7,
        "callback_query": {
            "id": "q1", "chat_instance": "c", "data": "ticket:accept|R1",
            "from": {"id": 5, "is_bot": False, "first_name": "王"},
            "message": {
                "message_id": 3, "date": 0, "chat": {"id": -100, "type": "supergroup", "title": "staff"},
                "text": "工单", "entities": [{"type": "bold", "offset": 0, "length": 2}],
                "reply_markup": {"inline_keyboard": [[{"text": "接单", "callback_data": "a"}]]},
            },
        },
    })
    keyboard = InlineKeyboardMarkup(inline_keyboard=[[InlineKeyboardButton(text="好", callback_data="x")]])
    send = SendMessage(chat_id=5, text="您好", reply_markup=keyboard)
    edit = EditMessageText(chat_id=-100, message_id=3, text="已接单")
    print(json.dumps({
        "built_at_import": built_at_import,
        "built_now": built_now,
        "data": update.callback_query.data,
        "message_text": update.callback_query.message.text,
        "button": update.callback_query.message.reply_markup.inline_keyboard[0][0].text,
        "send": [send.chat_id, send.text, send.reply_markup.inline_keyboard[0][0].callback_data],
        "edit_text": edit.text,
        "built_after_use": Update.__pydantic_complete__,
        "location_type": type(located.message.location).__module__,
        "user_type": type(located.message.from_user).__module__,
    }, ensure_ascii=False))
    """
)


def run_fresh(script: str) -> Any:
    """What `script` prints last (JSON), run in a fresh interpreter as a worker process would be."""
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=repo_root(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_a_worker_builds_aiogram_models_only_when_it_uses_them() -> None:
    result = run_fresh(SCRIPT)
    assert result["built_at_import"] == []  # the import left every model to its first use
    assert result["built_now"] is True
    assert result["data"] == "ticket:accept|R1"
    assert result["message_text"] == "工单" and result["button"] == "接单"
    assert result["send"] == [5, "您好", "x"]
    assert result["edit_text"] == "已接单"
    assert result["built_after_use"] is True
    # The caller's look-alike names did not stand in for aiogram's types.
    assert result["location_type"] == "aiogram.types.location"
    assert result["user_type"] == "aiogram.types.user"


KEPT_SCRIPT = textwrap.dedent(
    """
    import gc, json, weakref
    import bot.telegram
    from aiogram.methods import AnswerCallbackQuery, Response, SendMessage
    from bot.telegram.lazy_models import build_now

    def as_aiogram_asks(method):  # inside a function, as aiogram does (at module level pydantic keeps it)
        return weakref.ref(Response[method.__returning__])

    build_now(SendMessage)  # what the outbox sender builds at start-up
    kept = as_aiogram_asks(SendMessage)
    unkept = as_aiogram_asks(AnswerCallbackQuery)  # parametrised on a call, never built up front
    gc.collect()
    print(json.dumps({"kept": kept() is not None, "unkept": unkept() is not None}))
    """
)


def test_the_response_models_built_at_start_up_outlive_the_cyclic_collector() -> None:
    """aiogram parametrises `Response[...]` on every API call; pydantic only caches that weakly, so a model
    nobody holds is rebuilt (milliseconds) after each collection. `build_now` keeps what it built."""
    result = run_fresh(KEPT_SCRIPT)
    assert result == {"kept": True, "unkept": False}  # the unkept one shows pydantic would drop it
