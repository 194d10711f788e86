"""`RasaNlu` against a fake Rasa server: a real aiohttp app on 127.0.0.1, in a thread."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from bot.nlu_factory import make_nlu
from bot.nlu_rasa import RasaNlu, RasaUnavailableError
from dialogs.nlu.builtin import BuiltinNlu
from tests.nlu.conftest import MINI_DATA, NOW


def rasa_response(text: str) -> dict[str, Any]:
    """The shape Rasa 3.6 returns from POST /model/parse (DIET + synonym mapper + fallback)."""
    if "困" in text:
        intent = {"id": -4160414447398541829, "name": "emergency", "confidence": 0.97}
        ranking = [intent, {"id": 1, "name": "repair", "confidence": 0.02}]
    else:
        intent = {"name": "nlu_fallback", "confidence": 0.4}
        ranking = [intent, {"id": 2, "name": "greet", "confidence": 0.31}]
    entities = []
    start = text.find("3栋2单元502")
    if start >= 0:
        entities.append(
            {
                "entity": "room",
                "start": start,
                "end": start + 8,
                "confidence_entity": 0.9986,
                "value": "3栋2单元502",
                "extractor": "DIETClassifier",
            }
        )
    return {
        "text": text,
        "intent": intent,
        "entities": entities,
        "text_tokens": [[0, 1]],
        "intent_ranking": ranking,
        "response_selector": {"all_retrieval_intents": [], "default": {"response": {}, "ranking": []}},
    }


class FakeRasa:
    """Serves /model/parse on an ephemeral port; records the requests it got."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._runner: web.AppRunner | None = None

    async def _parse(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.requests.append(body)
        if body.get("text") == "boom":
            return web.json_response({"error": "model not loaded"}, status=500)
        return web.json_response(rasa_response(body["text"]))

    async def _start(self) -> None:
        app = web.Application()
        app.router.add_post("/model/parse", self._parse)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert server is not None
        self.port = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._loop.run_until_complete(self._start())
        self._ready.set()
        self._loop.run_forever()

    def start(self) -> None:
        self._thread.start()
        assert self._ready.wait(10)

    def stop(self) -> None:
        if self._runner is not None:
            asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@pytest.fixture()
def fake_rasa() -> Iterator[FakeRasa]:
    server = FakeRasa()
    server.start()
    yield server
    server.stop()


def test_maps_rasa_response_and_adds_our_datetime(fake_rasa: FakeRasa) -> None:
    nlu = RasaNlu(fake_rasa.url)
    try:
        result = nlu.parse("3栋2单元502有人困在电梯里 明天上午来", now=NOW)
    finally:
        nlu.close()
    assert fake_rasa.requests == [{"text": "3栋2单元502有人困在电梯里 明天上午来"}]
    assert result.intent.name == "emergency"
    assert result.intent.confidence == pytest.approx(0.97)
    assert [s.name for s in result.intent_ranking] == ["emergency", "repair"]
    assert [(e.entity, e.value, e.extractor) for e in result.entities] == [
        ("room", "3栋2单元502", "DIETClassifier"),
        ("datetime", "2024-05-07T09:00:00", "frontdesk_time"),
    ]
    assert result.entities[0].confidence == pytest.approx(0.9986)


def test_fallback_intent_becomes_out_of_scope(fake_rasa: FakeRasa) -> None:
    nlu = RasaNlu(fake_rasa.url + "/")
    try:
        result = nlu.parse("what is the meaning of life", now=NOW)
    finally:
        nlu.close()
    assert result.intent.name == "out_of_scope"
    assert result.to_rasa()["intent"] == {"name": "out_of_scope", "confidence": 0.4}


def test_a_batch_asks_rasa_text_by_text_in_order(fake_rasa: FakeRasa) -> None:
    nlu = RasaNlu(fake_rasa.url)
    try:
        texts = ["what is the meaning of life", "3栋2单元502有人困在电梯里"]
        results = nlu.parse_many(texts, now=NOW)
    finally:
        nlu.close()
    assert fake_rasa.requests == [{"text": text} for text in texts]
    assert [r.text for r in results] == texts


def test_server_errors_raise(fake_rasa: FakeRasa) -> None:
    nlu = RasaNlu(fake_rasa.url)
    try:
        with pytest.raises(RasaUnavailableError):
            nlu.parse("boom", now=NOW)
    finally:
        nlu.close()


def test_unreachable_server_raises_quickly() -> None:
    nlu = RasaNlu("http://127.0.0.1:9", timeout=1.0)
    try:
        with pytest.raises(RasaUnavailableError):
            nlu.parse("你好", now=NOW)
    finally:
        nlu.close()


def test_factory_picks_the_backend(tmp_path: Path, nlu_cache: Path) -> None:
    assert isinstance(make_nlu("rasa:http://127.0.0.1:5005", MINI_DATA, tmp_path), RasaNlu)
    assert isinstance(make_nlu("builtin", MINI_DATA, nlu_cache), BuiltinNlu)
    with pytest.raises(ValueError, match="unknown NLU backend"):
        make_nlu("spacy", MINI_DATA, tmp_path)
    with pytest.raises(ValueError, match="http"):
        make_nlu("rasa:localhost:5005", MINI_DATA, tmp_path)
