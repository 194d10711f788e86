"""Fixtures: a running fake Telegram Bot API server per test."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.fake_bot_api import FakeBotApi


@pytest.fixture
async def fake_bot_api() -> AsyncIterator[FakeBotApi]:
    """A fake Bot API listening on 127.0.0.1 (random port); closed after the test."""
    async with FakeBotApi() as api:
        yield api
