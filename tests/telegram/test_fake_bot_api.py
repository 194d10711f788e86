"""The fake Bot API itself speaks the protocol (other test suites rely on it)."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from tests.fake_bot_api import FakeBotApi


async def call(api: FakeBotApi, method: str, token: str | None = None, **params: Any) -> tuple[int, Any]:
    async with httpx.AsyncClient(base_url=api.base_url) as client:
        response = await client.post(f"/bot{token or api.token}/{method}", json=params)
    return response.status_code, response.json()


async def test_unknown_method_and_wrong_token(fake_bot_api: FakeBotApi) -> None:
    assert await call(fake_bot_api, "launchRockets") == (
        404,
        {"ok": False, "error_code": 404, "description": "Not Found"},
    )
    status, body = await call(fake_bot_api, "getMe", token="1:wrong")
    assert status == 401 and body["ok"] is False


async def test_get_updates_honours_offset_and_long_polls(fake_bot_api: FakeBotApi) -> None:
    first = fake_bot_api.push_text(1, "a")
    fake_bot_api.push_text(1, "b")
    _, body = await call(fake_bot_api, "getUpdates")
    ids = [update["update_id"] for update in body["result"]]
    assert len(ids) == 2 and body["result"][0]["message"]["text"] == first["text"]

    _, body = await call(fake_bot_api, "getUpdates", offset=ids[1] + 1, timeout=0)
    assert body["result"] == [] and fake_bot_api.pending_updates == 0

    waiting = asyncio.create_task(call(fake_bot_api, "getUpdates", offset=ids[1] + 1, timeout=5))
    await fake_bot_api.wait_for_calls("getUpdates", 3)
    fake_bot_api.push_text(2, "late")
    _, body = await asyncio.wait_for(waiting, 5)
    assert [update["message"]["text"] for update in body["result"]] == ["late"]


async def test_edit_and_files(fake_bot_api: FakeBotApi) -> None:
    _, sent = await call(fake_bot_api, "sendMessage", chat_id=3, text="v1")
    message_id = sent["result"]["message_id"]
    status, _ = await call(fake_bot_api, "editMessageText", chat_id=3, message_id=message_id, text="v2")
    assert status == 200 and fake_bot_api.sent_messages(3)[0].text == "v2"
    status, body = await call(fake_bot_api, "editMessageText", chat_id=3, message_id=999, text="x")
    assert status == 400 and "not found" in body["description"]

    file_id = fake_bot_api.push_photo(1)
    _, got = await call(fake_bot_api, "getFile", file_id=file_id)
    async with httpx.AsyncClient(base_url=fake_bot_api.base_url) as client:
        download = await client.get(f"/file/bot{fake_bot_api.token}/{got['result']['file_path']}")
    assert download.status_code == 200 and download.content.startswith(b"\xff\xd8")

    _, photo = await call(fake_bot_api, "sendPhoto", chat_id=3, photo=file_id, caption="done")
    assert photo["result"]["caption"] == "done" and fake_bot_api.sent_messages(3)[-1].method == "sendPhoto"


async def test_wait_for_messages_times_out(fake_bot_api: FakeBotApi) -> None:
    with pytest.raises(TimeoutError):
        await fake_bot_api.wait_for_messages(1, 1, timeout=0.05)
