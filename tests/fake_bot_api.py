"""A fake Telegram Bot API server for adapter tests: the real protocol over real HTTP on 127.0.0.1.

Tests run the unmodified aiogram stack (session, dispatcher, polling) against it, so what passes here
talks to Telegram the same way. The server keeps updates for `getUpdates` (long polling with `offset`),
records every call, remembers the messages the bot sent, and can be told to fail sends to a chat with a
429 (`retry_after`) or a 403 like the real API. Waiting helpers use an `asyncio.Condition`, never sleeps.

Usage::

    async with FakeBotApi() as api:
        bot = make_bot(api.token, api.base_url)
        api.push_text(1001, "3栋2单元502厨房漏水")
        sent = await api.wait_for_messages(1001, 1)
"""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Self

from aiohttp import web

__all__ = ["ApiCall", "Failure", "FakeBotApi", "SentMessage"]

JsonDict = dict[str, Any]

BASE_DATE = 1_767_225_600  # 2026-01-01T00:00:00Z; dates advance by one second per object, not wall time
_INT_FIELDS = {"chat_id", "message_id", "offset", "limit", "timeout", "user_id", "reply_to_message_id"}
_JSON_FIELDS = {"reply_markup", "allowed_updates", "commands", "scope", "entities", "link_preview_options"}
_SEND_METHODS = {"sendmessage", "sendphoto", "senddocument"}


@dataclass(frozen=True)
class ApiCall:
    """One request the bot made: the method as called and its decoded parameters."""

    method: str
    params: JsonDict


@dataclass
class SentMessage:
    """A message the bot sent (and possibly edited later)."""

    chat_id: int
    message_id: int
    text: str | None
    reply_markup: JsonDict | None
    method: str = "sendMessage"
    raw: JsonDict = field(default_factory=dict)

    def inline_buttons(self) -> list[list[JsonDict]]:
        """The inline keyboard rows, or [] if the message has none."""
        if not self.reply_markup:
            return []
        rows: list[list[JsonDict]] = self.reply_markup.get("inline_keyboard", [])
        return rows


@dataclass(frozen=True)
class Failure:
    """An error the next send to a chat returns instead of succeeding."""

    error_code: int
    description: str
    retry_after: int | None = None

    def body(self) -> JsonDict:
        body: JsonDict = {"ok": False, "error_code": self.error_code, "description": self.description}
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


class _ApiError(Exception):
    """Raised by a method implementation; becomes the error response."""

    def __init__(self, error_code: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.failure = Failure(error_code=error_code, description=description, retry_after=retry_after)


class FakeBotApi:
    """The fake server; `start()`/`close()` or `async with`. Test helpers are plain methods."""

    def __init__(self, token: str = "123456:TEST-fake-token", *, bot_id: int = 123456) -> None:
        self.token = token
        self.bot_id = bot_id
        self.fail_set_my_commands = False
        self.calls: list[ApiCall] = []
        self.answered_callbacks: list[JsonDict] = []
        self.commands: list[JsonDict] = []
        self.webhook: JsonDict | None = None  # the last setWebhook parameters (url, secret_token …)
        self._updates: list[JsonDict] = []
        self._sent: list[SentMessage] = []
        self._failures: dict[int, list[Failure]] = {}
        self._callback_ids: set[str] = set()
        self._files: dict[str, bytes] = {}
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(1)
        self._object_ids = itertools.count(1)
        self._changed = asyncio.Condition()
        self._tasks: set[asyncio.Task[None]] = set()
        self._closed = False
        self._runner: web.AppRunner | None = None
        self._port = 0

    # ---- lifecycle -------------------------------------------------------------------------------------

    async def start(self) -> None:
        """Listen on a free port of 127.0.0.1."""
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        app.router.add_get("/file/bot{token}/{path:.+}", self._download)
        self._runner = web.AppRunner(app, shutdown_timeout=1.0, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self._port = int(self._runner.addresses[0][1])

    async def close(self) -> None:
        """Release long polls and stop the server."""
        async with self._changed:
            self._closed = True
            self._changed.notify_all()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    @property
    def base_url(self) -> str:
        """What to pass as `api_base` to `make_bot`."""
        return f"http://127.0.0.1:{self._port}"

    # ---- pushing updates -------------------------------------------------------------------------------

    def user(
        self, user_id: int, *, first_name: str = "Resident", language_code: str | None = "zh-hans"
    ) -> JsonDict:
        """A Telegram `User` object for a resident."""
        user: JsonDict = {"id": user_id, "is_bot": False, "first_name": first_name}
        if language_code is not None:
            user["language_code"] = language_code
        return user

    def chat(self, chat_id: int, user: JsonDict | None = None) -> JsonDict:
        """A private chat for positive ids, a group for negative ones (as in Telegram)."""
        if chat_id < 0:
            return {"id": chat_id, "type": "group", "title": f"Group {-chat_id}"}
        chat: JsonDict = {"id": chat_id, "type": "private"}
        if user is not None:
            chat["first_name"] = user["first_name"]
        return chat

    def push_update(self, update: JsonDict) -> int:
        """Queue a raw update (an `update_id` is added); returns the update id."""
        update_id = next(self._update_ids)
        self._updates.append({"update_id": update_id, **update})
        self._notify()
        return update_id

    def push_message(
        self,
        user_id: int,
        *,
        chat_id: int | None = None,
        language_code: str | None = "zh-hans",
        first_name: str = "Resident",
        kind: str = "message",
        **content: Any,
    ) -> JsonDict:
        """Queue a message from a user with the given content fields; returns the message object."""
        user = self.user(user_id, first_name=first_name, language_code=language_code)
        message: JsonDict = {
            "message_id": next(self._message_ids),
            "date": self._date(),
            "chat": self.chat(user_id if chat_id is None else chat_id, user),
            "from": user,
            **content,
        }
        self.push_update({kind: message})
        return message

    def push_text(
        self, user_id: int, text: str, chat_id: int | None = None, language_code: str | None = "zh-hans"
    ) -> JsonDict:
        """The resident typed `text`."""
        return self.push_message(user_id, chat_id=chat_id, language_code=language_code, text=text)

    def push_edited_text(self, user_id: int, text: str, chat_id: int | None = None) -> JsonDict:
        """The resident edited an earlier message."""
        return self.push_message(
            user_id, chat_id=chat_id, kind="edited_message", text=text, edit_date=self._date()
        )

    def push_contact(self, user_id: int, phone: str, *, first_name: str = "Resident") -> JsonDict:
        """The resident pressed the "share my phone" button."""
        contact = {"phone_number": phone, "first_name": first_name, "user_id": user_id}
        return self.push_message(user_id, first_name=first_name, contact=contact)

    def push_photo(self, user_id: int, caption: str | None = None, chat_id: int | None = None) -> str:
        """The resident sent a photo (three sizes, as Telegram does); returns the largest size's file_id."""
        sizes = []
        for width, height in ((90, 67), (320, 240), (1280, 960)):
            file_id = f"AgAC-photo-{next(self._object_ids)}-{width}"
            self._files[file_id] = b"\xff\xd8\xff\xe0fake-jpeg"
            sizes.append(self._file(file_id, width=width, height=height))
        extra: JsonDict = {"caption": caption} if caption is not None else {}
        self.push_message(user_id, chat_id=chat_id, photo=sizes, **extra)
        return str(sizes[-1]["file_id"])

    def push_document(self, user_id: int, file_name: str = "invoice.pdf") -> str:
        """The resident sent a file; returns its file_id."""
        file_id = f"BQAC-doc-{next(self._object_ids)}"
        self._files[file_id] = b"%PDF-fake"
        self.push_message(user_id, document={**self._file(file_id), "file_name": file_name})
        return file_id

    def push_location(self, user_id: int, latitude: float, longitude: float) -> JsonDict:
        """The resident shared a map location."""
        return self.push_message(user_id, location={"latitude": latitude, "longitude": longitude})

    def push_callback(self, user_id: int, message_id: int, data: str) -> str:
        """The resident pressed an inline button under a bot message; returns the callback query id."""
        sent = next((message for message in self._sent if message.message_id == message_id), None)
        user = self.user(user_id)
        message = sent.raw if sent else self._message_object(user_id, message_id, text="", markup=None)
        query_id = str(9_000_000 + next(self._object_ids))
        self._callback_ids.add(query_id)
        query = {
            "id": query_id,
            "from": user,
            "message": message,
            "chat_instance": f"ci{user_id}",
            "data": data,
        }
        self.push_update({"callback_query": query})
        return query_id

    # ---- failures --------------------------------------------------------------------------------------

    def fail_next_sends(self, chat_id: int, failure: Failure, count: int = 1) -> None:
        """Make the next `count` sends to a chat fail with `failure`."""
        self._failures.setdefault(chat_id, []).extend([failure] * count)

    def fail_with_retry_after(self, chat_id: int, seconds: int, count: int = 1) -> None:
        """Flood control: the next sends answer 429 with `parameters.retry_after`."""
        failure = Failure(429, f"Too Many Requests: retry after {seconds}", retry_after=seconds)
        self.fail_next_sends(chat_id, failure, count)

    def fail_with_blocked(self, chat_id: int, count: int = 1) -> None:
        """The user blocked the bot: the next sends answer 403."""
        self.fail_next_sends(chat_id, Failure(403, "Forbidden: bot was blocked by the user"), count)

    # ---- inspection ------------------------------------------------------------------------------------

    def sent_messages(self, chat_id: int | None = None) -> list[SentMessage]:
        """Messages the bot sent successfully (to one chat, or all), in order."""
        return [message for message in self._sent if chat_id is None or message.chat_id == chat_id]

    def calls_to(self, method: str) -> list[ApiCall]:
        """Calls of one method (case-insensitive), failed ones included."""
        return [call for call in self.calls if call.method.lower() == method.lower()]

    @property
    def pending_updates(self) -> int:
        """Updates not yet confirmed by an `offset`."""
        return len(self._updates)

    async def wait_for_messages(self, chat_id: int, n: int, timeout: float = 5) -> list[SentMessage]:  # noqa: ASYNC109 (the agreed helper API)
        """Wait until at least `n` messages were sent to the chat; returns them all."""
        await self._wait_until(lambda: len(self.sent_messages(chat_id)) >= n, timeout)
        return self.sent_messages(chat_id)

    async def wait_for_calls(self, method: str, n: int = 1, timeout: float = 5) -> list[ApiCall]:  # noqa: ASYNC109 (the agreed helper API)
        """Wait until the bot called `method` at least `n` times."""
        await self._wait_until(lambda: len(self.calls_to(method)) >= n, timeout)
        return self.calls_to(method)

    async def wait_until_consumed(self, timeout: float = 5) -> None:  # noqa: ASYNC109 (the agreed helper API)
        """Wait until the bot confirmed every queued update (it has fetched and moved past them)."""
        await self._wait_until(lambda: not self._updates, timeout)

    async def _wait_until(self, predicate: Callable[[], bool], seconds: float) -> None:
        async with asyncio.timeout(seconds), self._changed:
            await self._changed.wait_for(predicate)

    # ---- HTTP ------------------------------------------------------------------------------------------

    def _notify(self) -> None:
        """Wake waiters; called from sync helpers too, so it schedules the notification."""

        async def notify() -> None:
            async with self._changed:
                self._changed.notify_all()

        task = asyncio.get_running_loop().create_task(notify())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _handle(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.json_response(
                {"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401
            )
        method = request.match_info["method"]
        params = await _read_params(request)
        self.calls.append(ApiCall(method=method, params=params))
        self._notify()
        handler = self._methods().get(method.lower())
        if handler is None:
            return _error(Failure(404, "Not Found"))
        try:
            result = await handler(params)
        except _ApiError as error:
            return _error(error.failure)
        self._notify()
        return web.json_response({"ok": True, "result": result})

    def _methods(self) -> dict[str, Callable[[JsonDict], Any]]:
        return {
            "getme": self._get_me,
            "getupdates": self._get_updates,
            "deletewebhook": self._true,
            "setwebhook": self._set_webhook,
            "setmycommands": self._set_my_commands,
            "getmycommands": self._get_my_commands,
            "sendmessage": self._send_message,
            "editmessagetext": self._edit_message_text,
            "editmessagereplymarkup": self._edit_reply_markup,
            "answercallbackquery": self._answer_callback_query,
            "sendphoto": self._send_photo,
            "senddocument": self._send_document,
            "getfile": self._get_file,
            "sendchataction": self._true,
        }

    async def _download(self, request: web.Request) -> web.Response:
        file_id = request.match_info["path"].rsplit("/", 1)[-1]
        content = self._files.get(file_id)
        if request.match_info["token"] != self.token or content is None:
            return web.Response(status=404, text="Not Found")
        return web.Response(body=content)

    # ---- methods ---------------------------------------------------------------------------------------

    async def _true(self, params: JsonDict) -> bool:
        return True

    async def _get_me(self, params: JsonDict) -> JsonDict:
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": "FrontDesk Test",
            "username": "frontdesk_test_bot",
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }

    async def _get_updates(self, params: JsonDict) -> list[JsonDict]:
        offset = int(params.get("offset", 0))
        if offset > 0:
            self._updates = [update for update in self._updates if update["update_id"] >= offset]
        allowed = params.get("allowed_updates") or None
        limit = int(params.get("limit", 100))

        def ready() -> list[JsonDict]:
            return [update for update in self._updates if allowed is None or _update_type(update) in allowed]

        with_timeout = float(params.get("timeout", 0))
        if not ready() and with_timeout > 0:
            try:
                async with asyncio.timeout(with_timeout), self._changed:
                    await self._changed.wait_for(lambda: bool(ready()) or self._closed)
            except TimeoutError:
                pass
        return ready()[:limit]

    async def _set_webhook(self, params: JsonDict) -> bool:
        self.webhook = dict(params)
        return True

    async def _set_my_commands(self, params: JsonDict) -> bool:
        if self.fail_set_my_commands:
            raise _ApiError(404, "Not Found")
        self.commands = list(params.get("commands", []))
        return True

    async def _get_my_commands(self, params: JsonDict) -> list[JsonDict]:
        return self.commands

    def _take_failure(self, chat_id: int) -> None:
        pending = self._failures.get(chat_id)
        if pending:
            failure = pending.pop(0)
            raise _ApiError(failure.error_code, failure.description, failure.retry_after)

    def _check_chat(self, params: JsonDict) -> int:
        if "chat_id" not in params:
            raise _ApiError(400, "Bad Request: chat_id is empty")
        chat_id = int(params["chat_id"])
        self._take_failure(chat_id)
        return chat_id

    async def _send_message(self, params: JsonDict) -> JsonDict:
        chat_id = self._check_chat(params)
        text = str(params.get("text", ""))
        if not text.strip():
            raise _ApiError(400, "Bad Request: message text is empty")
        if len(text.encode("utf-16-le")) // 2 > 4096:
            raise _ApiError(400, "Bad Request: message is too long")
        return self._record(chat_id, "sendMessage", text=text, markup=params.get("reply_markup"))

    async def _send_photo(self, params: JsonDict) -> JsonDict:
        chat_id = self._check_chat(params)
        file_id = f"AgAC-sent-{next(self._object_ids)}"
        extra = {"photo": [self._file(file_id, width=1280, height=960)], "caption": params.get("caption")}
        return self._record(chat_id, "sendPhoto", text=None, markup=params.get("reply_markup"), extra=extra)

    async def _send_document(self, params: JsonDict) -> JsonDict:
        chat_id = self._check_chat(params)
        extra = {
            "document": self._file(f"BQAC-sent-{next(self._object_ids)}"),
            "caption": params.get("caption"),
        }
        return self._record(
            chat_id, "sendDocument", text=None, markup=params.get("reply_markup"), extra=extra
        )

    def _find(self, params: JsonDict) -> SentMessage:
        chat_id, message_id = int(params.get("chat_id", 0)), int(params.get("message_id", 0))
        for message in self._sent:
            if message.chat_id == chat_id and message.message_id == message_id:
                return message
        raise _ApiError(400, "Bad Request: message to edit not found")

    async def _edit_message_text(self, params: JsonDict) -> JsonDict:
        message = self._find(params)
        message.text = str(params.get("text", ""))
        message.reply_markup = params.get("reply_markup")
        message.raw = self._message_object(
            message.chat_id, message.message_id, message.text, message.reply_markup
        )
        return message.raw

    async def _edit_reply_markup(self, params: JsonDict) -> JsonDict:
        message = self._find(params)
        message.reply_markup = params.get("reply_markup")
        message.raw = self._message_object(
            message.chat_id, message.message_id, message.text, message.reply_markup
        )
        return message.raw

    async def _answer_callback_query(self, params: JsonDict) -> bool:
        query_id = str(params.get("callback_query_id", ""))
        if query_id not in self._callback_ids:
            raise _ApiError(
                400, "Bad Request: query is too old and response timeout expired or query ID is invalid"
            )
        self._callback_ids.discard(query_id)
        self.answered_callbacks.append(params)
        return True

    async def _get_file(self, params: JsonDict) -> JsonDict:
        file_id = str(params.get("file_id", ""))
        if file_id not in self._files:
            raise _ApiError(400, "Bad Request: invalid file_id")
        return {**self._file(file_id), "file_path": f"photos/{file_id}"}

    # ---- objects ---------------------------------------------------------------------------------------

    def _date(self) -> int:
        return BASE_DATE + next(self._object_ids)

    def _file(self, file_id: str, **extra: Any) -> JsonDict:
        return {"file_id": file_id, "file_unique_id": f"u-{file_id}", "file_size": 1024, **extra}

    def _message_object(self, chat_id: int, message_id: int, text: str | None, markup: Any) -> JsonDict:
        bot_user = {"id": self.bot_id, "is_bot": True, "first_name": "FrontDesk Test"}
        message: JsonDict = {
            "message_id": message_id,
            "date": self._date(),
            "chat": self.chat(chat_id),
            "from": bot_user,
        }
        if text is not None:
            message["text"] = text
        if isinstance(markup, dict) and "inline_keyboard" in markup:  # Telegram echoes inline keyboards only
            message["reply_markup"] = markup
        return message

    def _record(
        self, chat_id: int, method: str, *, text: str | None, markup: Any, extra: JsonDict | None = None
    ) -> JsonDict:
        message_id = next(self._message_ids)
        raw = self._message_object(chat_id, message_id, text, markup)
        raw.update({key: value for key, value in (extra or {}).items() if value is not None})
        self._sent.append(
            SentMessage(
                chat_id=chat_id,
                message_id=message_id,
                text=text,
                reply_markup=markup if isinstance(markup, dict) else None,
                method=method,
                raw=raw,
            )
        )
        return raw


def _update_type(update: JsonDict) -> str:
    return next(key for key in update if key != "update_id")


def _error(failure: Failure) -> web.Response:
    return web.json_response(failure.body(), status=failure.error_code)


def _coerce(key: str, value: Any) -> Any:
    """Form fields arrive as strings; decode the ones the real API reads as numbers or JSON."""
    if not isinstance(value, str):
        return value
    if key in _INT_FIELDS:
        try:
            return int(value)
        except ValueError:
            return value  # e.g. "@channelusername"
    if key in _JSON_FIELDS or value[:1] in "{[":
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


async def _read_params(request: web.Request) -> JsonDict:
    """Parameters from the query string plus a JSON, urlencoded or multipart body (as the real API)."""
    params: JsonDict = dict(request.query)
    if request.can_read_body:
        if request.content_type == "application/json":
            body = await request.json()
            if isinstance(body, dict):
                params.update(body)
        else:
            form = await request.post()
            for key, value in form.items():
                params[key] = f"<file {value.filename}>" if isinstance(value, web.FileField) else value
    return {key: _coerce(key, value) for key, value in params.items()}
