"""The console channel: the same engine as Telegram, on stdin and stdout.

Lines typed (or piped) become `IncomingMessage`s; replies come back through the outbox like on Telegram,
and buttons are printed numbered so they can be pressed by typing their number or their label. A few
console-only commands stand in for what a phone would send: `/photo` (a photo), `/contact 138…` (a shared
contact card), `/location LAT LON`, `/as ID` (type as another person: a staff member, an outsider), `/quit`;
in the demo (`bot.console_demo`) `/time +3d` moves the simulated clock and delivers whatever fell due.
With piped input each line is echoed after `> `, so a scripted session prints as a readable transcript.
"""

from __future__ import annotations

import asyncio
import itertools
import sys
from dataclasses import dataclass, field, replace
from typing import TextIO

from bot.app import App
from bot.console_demo import TimeError, move_clock
from bot.outbox import Delivered, DeliveryResult, OutboxSender
from dialogs.clock import FakeClock
from dialogs.i18n import normalize_language
from dialogs.messages import (
    ALERT,
    Attachment,
    AttachmentKind,
    Button,
    ChannelName,
    Contact,
    IncomingMessage,
    Location,
    Outgoing,
)
from dialogs.ticker import Ticker


@dataclass
class ConsoleTransport:
    """Prints replies and remembers the buttons last shown in each chat.

    The console plays every role (`/as ID`), so it prints every chat: the staff group's messages marked
    "[staff]", another person's private messages marked with their id.

    A terminal cannot change what it printed, so an edit (see `Outgoing.key`) prints the new version
    marked "(updated) ". Message ids are made up, counting from 1, so the sender can keep them like
    Telegram's.
    """

    out: TextIO
    viewer: int = 0
    buttons: dict[int, list[Button]] = field(default_factory=dict)
    latest: list[int] = field(default_factory=list)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    @property
    def channel(self) -> ChannelName:
        """This transport serves the console channel."""
        return ChannelName.CONSOLE

    async def send(self, message: Outgoing, *, edit_message_id: int | None = None) -> DeliveryResult:
        """Print one reply with its buttons numbered; an edit keeps the id of the message it replaces."""
        reply = message.reply
        text = reply.text if edit_message_id is None else f"(updated) {reply.text}"
        if message.chat_id < 0:
            text = f"[staff] {text}"
        elif message.chat_id != self.viewer:
            text = f"[→{message.chat_id}] {text}"
        lines = [text]
        buttons = reply.all_buttons()
        if buttons:
            self.buttons[message.chat_id] = buttons
            self.latest = [chat for chat in self.latest if chat != message.chat_id] + [message.chat_id]
            lines += [f"  [{number}] {button.label}" for number, button in enumerate(buttons, start=1)]
        if reply.request_contact_label:
            lines.append(f"  [{reply.request_contact_label}] → /contact 13800000000")
        if reply.file is not None:  # a terminal cannot show a picture: say where the file is
            lines.append(f"  📎 {reply.file.filename}: {reply.file.path}")
        self.out.write("\n".join(lines) + "\n")
        self.out.flush()
        return Delivered(external_id=next(self._ids) if edit_message_id is None else edit_message_id)


@dataclass
class ConsoleSession:
    """Reads lines, feeds the engine and prints what the outbox delivers."""

    app: App
    user_id: int
    language: str | None
    stdin: TextIO
    transport: ConsoleTransport
    sender: OutboxSender
    ticker: Ticker
    echo: bool = False
    demo_clock: FakeClock | None = None
    _photos: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def to_message(self, line: str) -> IncomingMessage | None:
        """Turn a typed line into a message; None for an empty line."""
        text = line.strip()
        if not text:
            return None
        base = IncomingMessage(
            channel=ChannelName.CONSOLE,
            chat_id=self.user_id,
            user_id=self.user_id,
            first_name="console",
            language_code=self.language,
        )
        # Within reach: one's own chat first, else the staff group most recently shown.
        groups = [chat for chat in reversed(self.transport.latest) if chat < 0]
        for chat_id in [self.user_id, *groups[:1]]:
            pressed = self._pressed(text, self.transport.buttons.get(chat_id, []))
            if pressed is not None:
                return replace(base, chat_id=chat_id, is_private=chat_id > 0, action=pressed.action)
            if chat_id in self.transport.buttons:
                break
        command, _, argument = text.partition(" ")
        if command == "/photo":
            photo = Attachment(kind=AttachmentKind.PHOTO, file_id=f"console-photo-{next(self._photos)}")
            return replace(base, attachments=(photo,), text=argument)
        if command == "/contact" and argument:
            return replace(base, contact=Contact(phone=argument.strip(), user_id=self.user_id))
        if command == "/location":
            parts = argument.split()
            if len(parts) == 2:
                try:
                    return replace(base, location=Location(float(parts[0]), float(parts[1])))
                except ValueError:
                    pass
        return replace(base, text=text)

    @staticmethod
    def _pressed(text: str, shown: list[Button]) -> Button | None:
        if text.isdigit() and 1 <= int(text) <= len(shown):
            return shown[int(text) - 1]
        for button in shown:
            if button.label.strip().lower() == text.lower():
                return button
        return None

    async def handle_line(self, line: str) -> None:
        """Process one line end to end: engine, outbox, printed replies, then whatever fell due."""
        command, _, argument = line.strip().partition(" ")
        if command == "/as" and argument.strip().lstrip("-").isdigit():
            self.user_id = int(argument.strip())
            self.transport.viewer = self.user_id
            return
        if command == "/time" and self.demo_clock is not None:
            await self._time(argument)
            return
        message = self.to_message(line)
        if message is None:
            return
        for reply in self.app.engine.handle(message):
            if reply.audience == ALERT:  # a pop-up on Telegram; printed here
                self.transport.out.write(f"(!) {reply.reply.text}\n")
        self.ticker.tick()
        await self.sender.flush()

    async def _time(self, argument: str) -> None:
        """Show or move the demo's clock, then run the ticker as the scheduler would have meanwhile."""
        assert self.demo_clock is not None
        lang = normalize_language(self.language, self.app.site.default_language)
        if argument.strip():
            try:
                move_clock(self.demo_clock, argument, self.app.site)
            except TimeError as exc:
                self.transport.out.write(self.app.catalog.t(lang, str(exc)) + "\n")
                return
        local = self.demo_clock.now().astimezone(self.app.site.zone)
        time_text = local.strftime(self.app.catalog.t(lang, "format.datetime"))
        self.transport.out.write(self.app.catalog.t(lang, "console.time_now", time=time_text) + "\n")
        self.ticker.tick()
        await self.sender.flush()

    async def run(self) -> None:
        """Serve until end of input or `/quit`."""
        interactive = self.stdin.isatty()
        await self.sender.flush()
        while True:
            if interactive:
                self.transport.out.write("> ")
                self.transport.out.flush()
            line = await asyncio.to_thread(self.stdin.readline)
            if not line or line.strip() in {"/quit", "/exit"}:
                break
            if self.echo and not interactive:
                self.transport.out.write(f"> {line.rstrip()}\n")
            await self.handle_line(line)


def make_session(
    app: App,
    *,
    user_id: int,
    language: str | None,
    stdin: TextIO | None = None,
    out: TextIO | None = None,
    demo_clock: FakeClock | None = None,
) -> ConsoleSession:
    """Wire a console session onto the app (with `demo_clock`, the clock the app runs on, for `/time`)."""
    transport = ConsoleTransport(out=out or sys.stdout, viewer=user_id)
    sender = OutboxSender(app.uow_factory, transport, app.clock)
    return ConsoleSession(
        app=app,
        ticker=app.ticker(ChannelName.CONSOLE),
        user_id=user_id,
        language=language,
        stdin=stdin or sys.stdin,
        transport=transport,
        sender=sender,
        echo=True,
        demo_clock=demo_clock,
    )
