"""The Telegram webhook as an aiohttp application: updates in over HTTPS, plus health and metrics.

Telegram POSTs each update to the webhook and redelivers it until it gets a 2xx. So the 2xx must mean
"committed": the update goes through the dispatcher (the same thin handlers and per-chat order as long
polling) and the engine stores its effects before the response is written. A failure (the database away)
answers 503, and Telegram tries again later; the update id recorded with the effects makes a
redelivery of an update that did commit harmless.

aiogram's `SimpleRequestHandler` is not used for the update route: after 55 s it answers 200 and leaves the
update running in the background (acknowledged before committed), and it lets errors surface as aiohttp's
generic 500. The secret-token check is the same constant-time comparison it does.

An update that fails for another reason than the database or the network (a bug it triggers every time)
is refused a few times, then acknowledged and logged, so that it cannot stall every later update.

Routes: POST `path` (updates), GET `/healthz` (the process answers), GET `/readyz` (database reachable,
schema at head; 503 otherwise), GET `/metrics` (Prometheus text).
"""

from __future__ import annotations

import logging
import re
import secrets
import time
from collections import OrderedDict
from collections.abc import Callable

from aiogram import Bot, Dispatcher
from aiogram.types import Update
from aiohttp import web
from pydantic import ValidationError
from sqlalchemy.exc import DisconnectionError, InterfaceError, OperationalError

from bot.app import App
from bot.metrics import Metrics
from bot.ops_http import add_ops_routes, app_metrics
from bot.telegram.handling import engine_on_message
from bot.telegram.runner import build_dispatcher

__all__ = ["SECRET_HEADER", "WEBHOOK_PATH", "make_webhook_app", "valid_secret"]

log = logging.getLogger(__name__)

WEBHOOK_PATH = "/telegram/webhook"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")  # what setWebhook accepts as secret_token


# Failures that say nothing about the update (the database or the network away): always refused, so the
# update is redelivered until it can be handled. Any other failure is refused MAX_FAILURES times per update
# (in this process), then the update is acknowledged and logged: Telegram would otherwise redeliver it
# without end and hold back every update after it.
# A ticket changed under the turn each time it was redone (`ConcurrentUpdateError`, after the engine's own
# retries) counts as a failure of the update: refused, redelivered, and given up on like any other if it
# keeps coming back, so that a turn conflicting with itself cannot stall the bot.
TRANSIENT = (OperationalError, InterfaceError, DisconnectionError, ConnectionError, TimeoutError)
MAX_FAILURES = 5


class _FailureCounter:
    """Failed attempts per update id, for the most recent `capacity` ids."""

    def __init__(self, limit: int, capacity: int = 10_000) -> None:
        self._limit = limit
        self._capacity = capacity
        self._counts: OrderedDict[int, int] = OrderedDict()

    def give_up(self, update_id: int) -> bool:
        """Count a failure; True once the update has failed `limit` times."""
        count = self._counts.pop(update_id, 0) + 1
        self._counts[update_id] = count
        while len(self._counts) > self._capacity:
            self._counts.popitem(last=False)
        return count >= self._limit


def valid_secret(secret: str) -> bool:
    """Telegram's rule for a webhook secret: 1–256 characters of A–Z, a–z, 0–9, `_` and `-`."""
    return _SECRET.fullmatch(secret) is not None


def make_webhook_app(
    app: App,
    bot: Bot,
    *,
    secret: str,
    path: str = WEBHOOK_PATH,
    metrics: Metrics | None = None,
    after_commit: Callable[[], None] | None = None,
    dispatcher: Dispatcher | None = None,
) -> web.Application:
    """The webhook application for `bot`, handling updates with `app`'s engine.

    `after_commit` runs after each update's effects are stored (wake an in-process outbox sender).
    `metrics` defaults to a fresh registry with the database backlog gauges; pass one to share it with an
    NLU wrapped in `TimedNlu`. The caller owns `bot` and closes its session.
    """
    if not valid_secret(secret):
        raise ValueError("the webhook secret must be 1-256 characters of A-Z, a-z, 0-9, _ and -")
    metrics = metrics or app_metrics(app)
    dispatcher = dispatcher or build_dispatcher(engine_on_message(app, after_commit=after_commit))
    expected = secret.encode()
    poison = _FailureCounter(MAX_FAILURES)

    async def receive(request: web.Request) -> web.Response:
        started = time.perf_counter()
        if not secrets.compare_digest(request.headers.get(SECRET_HEADER, "").encode(), expected):
            metrics.updates.labels("unauthorized").inc()
            return web.json_response({"ok": False, "description": "Unauthorized"}, status=401)
        try:
            update = Update.model_validate(await request.json(), context={"bot": bot})
        except (ValueError, ValidationError) as error:  # json.JSONDecodeError is a ValueError
            metrics.updates.labels("invalid").inc()
            log.warning("webhook request is not an update: %s", type(error).__name__)
            return web.json_response({"ok": False, "description": "Bad Request"}, status=400)
        try:
            await dispatcher.feed_update(bot, update)
        except Exception as error:
            if not isinstance(error, TRANSIENT) and poison.give_up(update.update_id):
                # A bug this update hits every time: refusing it forever would stall the whole bot behind it.
                metrics.updates.labels("dropped").inc()
                log.exception("update dropped after repeated failures", extra={"update_id": update.update_id})
                return web.json_response({})
            metrics.updates.labels("failed").inc()
            log.exception(
                "update not handled; Telegram will redeliver it", extra={"update_id": update.update_id}
            )
            return web.json_response({"ok": False, "description": "try again later"}, status=503)
        metrics.updates.labels("handled").inc()
        metrics.update_seconds.observe(time.perf_counter() - started)
        return web.json_response({})

    web_app = web.Application()
    web_app.router.add_post(path, receive)
    add_ops_routes(web_app, app, metrics)
    return web_app
