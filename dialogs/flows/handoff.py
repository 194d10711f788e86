"""A person, please (转人工): an H ticket, and from then on the resident's messages go to the staff chat
instead of being interpreted by the bot, until the resident ends it (/cancel) or the ticket is closed.

Each relayed message is also appended to the ticket's events, so the conversation is part of the household
file. Emergencies are still recognised while relaying: safety never waits for a person.
"""

from __future__ import annotations

from enum import StrEnum

from dialogs.domain import EventKind, TicketType
from dialogs.events import record, resident_actor
from dialogs.flows.base import FlowName
from dialogs.tickets import open_ticket
from dialogs.turn import Turn


class HandoffStep(StrEnum):
    """While a person is handling the chat."""

    RELAY = "relay"


class HandoffFlow:
    """Opens the H ticket and relays the resident's messages to staff."""

    name = FlowName.HANDOFF

    def start(self, turn: Turn, text: str, *, unanswered: bool = False) -> None:
        """Open the ticket, tell the resident when a person answers, start relaying."""
        ticket = open_ticket(turn, TicketType.HUMAN, description=text or turn.t("handoff.no_text"))
        hours = turn.site.promises.handoff_reply_hours
        turn.say(
            "handoff.unanswered" if unanswered else "handoff.created", reference=ticket.reference, hours=hours
        )
        turn.go(self.name, HandoffStep.RELAY, reference=ticket.reference)
        self._relay(turn, ticket.reference, text)

    def resume(self, turn: Turn) -> None:
        """Pass the message on to staff (while the ticket is still open)."""
        reference = str(turn.slots.get("reference", ""))
        ticket = turn.uow.tickets.get(reference=reference)
        if ticket is None or not ticket.status.is_active:
            turn.end_flow()
            turn.say("handoff.ended")
            return
        text = turn.text or turn.t("handoff.media")
        self._relay(turn, reference, text)
        record(turn, ticket, EventKind.NOTE, resident_actor(turn), relayed=text)
        turn.say("handoff.relayed")

    def reprompt(self, turn: Turn) -> None:
        """Remind the resident that a person is on it."""
        turn.say("handoff.still_open", reference=turn.slots.get("reference", ""))

    def _relay(self, turn: Turn, reference: str, text: str) -> None:
        if turn.staff_chat_id is None or not text:
            return
        lang = turn.site.default_language
        who = turn.resident.display_name or str(turn.resident.external_id)
        turn.send(
            turn.staff_chat_id, turn.catalog.t(lang, "staff.relay", reference=reference, name=who, text=text)
        )
