"""The engine side of a handler: long polling waits a database outage out (it cannot refuse an update),
the webhook fails fast so that Telegram redelivers."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import OperationalError

from bot.app import App
from bot.telegram.handling import engine_on_message
from dialogs.messages import ChannelName, IncomingMessage, Outgoing

MESSAGE = IncomingMessage(
    channel=ChannelName.TELEGRAM, chat_id=7401, user_id=7401, text="/start", update_id=5
)


def flaky_handle(app: App, failures: int) -> list[int]:
    calls: list[int] = []
    handle = app.engine.handle

    def flaky(message: IncomingMessage) -> list[Outgoing]:
        calls.append(1)
        if len(calls) <= failures:
            raise OperationalError("SELECT 1", {}, ConnectionRefusedError("database away"))
        return handle(message)

    app.engine.handle = flaky  # type: ignore[method-assign]
    return calls


async def test_polling_waits_out_a_database_outage(app: App) -> None:
    calls = flaky_handle(app, failures=2)
    woken: list[bool] = []
    on_message = engine_on_message(app, after_commit=lambda: woken.append(True), wait_out_outages=True)
    assert await on_message(MESSAGE) is None
    assert len(calls) == 3 and woken == [True]
    with app.uow_factory() as uow:
        assert not uow.processed_updates.claim(channel="telegram", update_id=5, now=app.clock.now())


async def test_the_webhook_side_fails_fast(app: App) -> None:
    calls = flaky_handle(app, failures=1)
    with pytest.raises(OperationalError):
        await engine_on_message(app)(MESSAGE)
    assert len(calls) == 1
