"""One turn of a conversation: the incoming message, who sent it, and what the bot answers.

A `Turn` is built by the engine for each incoming message and handed to the flows. It carries the unit of
work (so a flow's ticket and its replies commit together), the resident, the conversation's working state
and the replies gathered so far. Flows never talk to a channel: they call `say`.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from dialogs.domain import Resident
from dialogs.i18n import Catalog
from dialogs.messages import Action, ActionKind, Button, IncomingMessage, Outgoing, Reply
from dialogs.nlu.types import NluBackend, ParseResult
from dialogs.ports import UnitOfWork
from dialogs.site import SiteConfig


@dataclass
class Turn:
    """Everything a flow needs to answer one message."""

    message: IncomingMessage
    resident: Resident
    uow: UnitOfWork
    site: SiteConfig
    catalog: Catalog
    nlu: NluBackend
    now: datetime
    flow: str | None = None
    step: str | None = None
    slots: dict[str, Any] = field(default_factory=dict)
    misses: int = 0
    staff_chat_id: int | None = None
    # The resident as stored when the turn began: the engine writes the record back only if it changed.
    stored_resident: Resident | None = None
    replies: list[Outgoing] = field(default_factory=list)
    # The NLU's reading of the text: given ahead by a batch (which understands its texts together) or
    # computed by the first `parse()`.
    understood: ParseResult | None = None

    @property
    def lang(self) -> str:
        """The resident's language."""
        return self.resident.language

    @property
    def local_now(self) -> datetime:
        """Now in the site's time zone (for references, NLU and what people read)."""
        return self.now.astimezone(self.site.zone)

    @property
    def text(self) -> str:
        """The typed text, trimmed."""
        return self.message.text.strip()

    def retext(self, text: str) -> None:
        """Treat this turn as if the resident had typed `text` (a reading chosen for an earlier message)."""
        self.message = replace(self.message, text=text, action=None)
        self.understood = None

    def parse(self) -> ParseResult:
        """The NLU's reading of the text, computed at most once per turn."""
        if self.understood is None:
            self.understood = self.nlu.parse(self.text, now=self.local_now)
        return self.understood

    def t(self, key: str, **params: Any) -> str:
        """Catalogue text in the resident's language."""
        return self.catalog.t(self.lang, key, **params)

    def button(self, key: str, kind: ActionKind, arg: str = "", **params: Any) -> Button:
        """A button whose label comes from the catalogue."""
        return Button(label=self.t(key, **params), action=Action(kind=kind, arg=arg))

    def say(
        self,
        key: str,
        *,
        buttons: tuple[tuple[Button, ...], ...] = (),
        request_contact: bool = False,
        remove_keyboard: bool = False,
        **params: Any,
    ) -> None:
        """Answer the resident with a catalogue message."""
        self.say_text(
            self.t(key, **params),
            buttons=buttons,
            request_contact=request_contact,
            remove_keyboard=remove_keyboard,
        )

    def say_text(
        self,
        text: str,
        *,
        buttons: tuple[tuple[Button, ...], ...] = (),
        request_contact: bool = False,
        remove_keyboard: bool = False,
    ) -> None:
        """Answer with text already composed from catalogue parts."""
        reply = Reply(
            text=text,
            buttons=buttons,
            request_contact_label=self.t("button.share_contact") if request_contact else None,
            remove_keyboard=remove_keyboard,
        )
        self.replies.append(Outgoing(channel=self.message.channel, chat_id=self.message.chat_id, reply=reply))

    def send(
        self,
        chat_id: int,
        text: str,
        *,
        buttons: tuple[tuple[Button, ...], ...] = (),
        key: str | None = None,
        audience: str = "staff",
    ) -> None:
        """A message to another chat of the same channel (staff group, a staff member, a resident)."""
        self.replies.append(
            Outgoing(
                channel=self.message.channel,
                chat_id=chat_id,
                reply=Reply(text=text, buttons=buttons),
                audience=audience,
                key=key,
            )
        )

    def go(self, flow: str, step: str, **slots: Any) -> None:
        """Enter (or move within) a flow, keeping or adding slots."""
        if flow != self.flow:
            self.slots = {}
        self.flow, self.step = flow, step
        self.slots.update(slots)

    def end_flow(self) -> None:
        """Leave the current flow; nothing is pending for this chat any more."""
        self.flow, self.step, self.slots, self.misses = None, None, {}, 0

    def update_resident(self, **changes: Any) -> None:
        """Change the resident's record (saved by the engine at the end of the turn)."""
        self.resident = replace(self.resident, **changes)

    def local_time(self, value: str) -> datetime | None:
        """An NLU datetime value (ISO, site-local when naive) as an aware datetime."""
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            return None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=self.site.zone)

    def format_time(self, when: datetime) -> str:
        """A time as residents read it, in the site's zone."""
        return when.astimezone(self.site.zone).strftime(self.t("format.datetime"))
