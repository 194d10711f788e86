"""What a follow-up looks like in the chats: the resident's question and reminder, staff's phone task.

Built from the catalogue without a `Turn`, because the scheduler's job writes them outside any conversation.
Button arguments name the follow-up and the answer (`FollowUpPress`), so a press works wherever the chat's
conversation stands and an old follow-up's buttons are recognised as old.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from dialogs.domain import Ticket
from dialogs.followup.records import FollowUp, PhoneResult
from dialogs.i18n import Catalog
from dialogs.messages import Action, ActionKind, Button, ChannelName, Outgoing, Reply
from dialogs.phones import mask_phone
from dialogs.site import SiteConfig

RATINGS = (5, 4, 3, 2, 1)  # best first, as the manual's form lists them (非常满意 … 非常不满意)
RATE, SOLVED, NO_COMMENT, PHONE = "r", "s", "c", "p"


@dataclass(frozen=True)
class FollowUpPress:
    """A decoded follow-up button: which follow-up, what was answered, and the value."""

    followup_id: int
    op: str
    value: str = ""


def press_arg(followup_id: int, op: str, value: str = "") -> str:
    """The button argument for an answer."""
    return f"{followup_id}|{op}|{value}"


def parse_press(arg: str) -> FollowUpPress | None:
    """Decode a button argument; None for anything malformed (a forged or ancient press)."""
    head, _, rest = arg.partition("|")
    op, _, value = rest.partition("|")
    if not head.isdigit() or op not in (RATE, SOLVED, NO_COMMENT, PHONE):
        return None
    return FollowUpPress(int(head), op, value)


def once_key(followup: FollowUp, what: str) -> str:
    """The outbox's at-most-once id of a follow-up message (see `Outgoing.once`)."""
    return f"followup:{followup.id}:{what}"


def followup_id_of(key: str) -> int | None:
    """The follow-up a `once_key` belongs to."""
    parts = key.split(":")
    return int(parts[1]) if len(parts) >= 2 and parts[0] == "followup" and parts[1].isdigit() else None


class Cards:
    """Composes follow-up messages in the right language."""

    def __init__(self, *, site: SiteConfig, catalog: Catalog) -> None:
        self.site = site
        self.catalog = catalog

    def t(self, lang: str, key: str, **params: object) -> str:
        """Catalogue text."""
        return self.catalog.t(lang, key, **params)

    def time(self, lang: str, when: datetime) -> str:
        """A time as people read it, in the site's zone."""
        return when.astimezone(self.site.zone).strftime(self.t(lang, "format.datetime"))

    def kind(self, lang: str, followup: FollowUp) -> str:
        """The follow-up's kind in words."""
        return self.t(lang, f"followup.kind.{followup.kind.value}")

    def rating_buttons(self, lang: str, followup: FollowUp) -> tuple[tuple[Button, ...], ...]:
        """非常满意 … 非常不满意, one per row so the long labels stay readable on a phone."""
        assert followup.id is not None
        return tuple(
            (
                Button(
                    self.t(lang, f"followup.rating.{n}"),
                    Action(ActionKind.FOLLOWUP, press_arg(followup.id, RATE, str(n))),
                ),
            )
            for n in RATINGS
        )

    def solved_buttons(self, lang: str, followup: FollowUp) -> tuple[tuple[Button, ...], ...]:
        """Solved / not solved."""
        assert followup.id is not None
        return (
            (
                Button(
                    self.t(lang, "followup.solved_yes"),
                    Action(ActionKind.FOLLOWUP, press_arg(followup.id, SOLVED, "y")),
                ),
                Button(
                    self.t(lang, "followup.solved_no"),
                    Action(ActionKind.FOLLOWUP, press_arg(followup.id, SOLVED, "n")),
                ),
            ),
        )

    def no_comment_buttons(self, lang: str, followup: FollowUp) -> tuple[tuple[Button, ...], ...]:
        """The button that ends the follow-up without a comment."""
        assert followup.id is not None
        return (
            (
                Button(
                    self.t(lang, "followup.no_comment"),
                    Action(ActionKind.FOLLOWUP, press_arg(followup.id, NO_COMMENT)),
                ),
            ),
        )

    def question(self, followup: FollowUp, lang: str) -> Outgoing:
        """The callback question with the rating buttons (at most once: see `Outgoing.once`)."""
        text = self.t(
            lang,
            "followup.question",
            site=self.site.name.get(lang),
            kind=self.kind(lang, followup),
            reference=followup.reference,
            resolved=self.time(lang, followup.resolved_at),
        )
        return self._to_resident(followup, text, self.rating_buttons(lang, followup), "ask")

    def reminder(self, followup: FollowUp, lang: str) -> Outgoing:
        """The one reminder after 48 h (or half a short window) without an answer."""
        text = self.t(lang, "followup.reminder", kind=self.kind(lang, followup), reference=followup.reference)
        return self._to_resident(followup, text, self.rating_buttons(lang, followup), "remind")

    def _to_resident(
        self, followup: FollowUp, text: str, buttons: tuple[tuple[Button, ...], ...], what: str
    ) -> Outgoing:
        return Outgoing(
            channel=ChannelName(followup.channel),
            chat_id=followup.chat_id,
            reply=Reply(text=text, buttons=buttons),
            audience="resident",
            once=once_key(followup, what),
        )

    def phone_task(
        self, followup: FollowUp, ticket: Ticket | None, phone: str | None, *, private: bool
    ) -> str:
        """Staff's phone-callback task; the phone is masked in the group, as on dispatch cards."""
        lang = self.site.default_language
        none = self.t(lang, "common.none")
        shown = phone or none
        if phone and not private:
            shown = mask_phone(phone)
        lines = [
            self.t(
                lang, "followup.phone.title", reference=followup.reference, kind=self.kind(lang, followup)
            ),
            self.t(lang, f"followup.phone.reason.{followup.phone_reason or 'no_answer'}"),
            self.t(
                lang,
                "followup.phone.details",
                location=(ticket.location if ticket else "") or none,
                phone=shown,
                resolved=self.time(lang, followup.resolved_at),
                deadline=self.time(lang, followup.window_end),
            ),
        ]
        if followup.phone_result is None:
            lines.append(self.t(lang, "followup.phone.ask"))
        return "\n".join(lines)

    def phone_buttons(self, followup: FollowUp) -> tuple[tuple[Button, ...], ...]:
        """The results staff record; none once recorded."""
        if followup.phone_result is not None or followup.id is None:
            return ()
        lang = self.site.default_language
        return (
            tuple(
                Button(
                    self.t(lang, f"followup.phone.{result.value}"),
                    Action(ActionKind.FOLLOWUP, press_arg(followup.id, PHONE, result.value)),
                )
                for result in PhoneResult
            ),
        )

    def phone_key(self, followup: FollowUp) -> str:
        """The outbox key of a phone task: the card is edited in place when the result is recorded."""
        return f"followup:{followup.id}"
