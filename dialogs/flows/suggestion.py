"""Suggestions (建议): thank first, record an S ticket; staff later close it as adopted or not (with the
reason), and the resident is told — the manual asks that every suggestion gets an answer."""

from __future__ import annotations

from dialogs.domain import TicketType
from dialogs.flows.places import place_or_home
from dialogs.tickets import open_ticket
from dialogs.turn import Turn


class SuggestionFlow:
    """One message: thanks and a record."""

    def start(self, turn: Turn, text: str) -> None:
        """Record the suggestion and thank the resident."""
        ticket = open_ticket(
            turn, TicketType.SUGGESTION, description=text, location=place_or_home(turn) or ""
        )
        turn.say("suggestion.thanks", reference=ticket.reference)
