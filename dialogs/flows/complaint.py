"""Complaints (投诉): apologise first on behalf of the company, record what, where, who and when, classify,
promise feedback within the site's hours (24 h by default), and open a C ticket.

The manual's classes: 一类 the company's own service (`service`), 二类 building quality and the developer
(`quality`, escalated in writing to the developer), 三类 the environment outside the estate (`external`,
referred to the authority). A resident may ask to stay anonymous: staff then do not see who complained, but
the ticket stays filed under the household. A second complaint about the same matter within 30 days is
linked to the first, so repeated complaints are visible (the monthly report flags them).
"""

from __future__ import annotations

import re
from datetime import timedelta
from enum import StrEnum

from dialogs.domain import Ticket, TicketType
from dialogs.flows.base import FlowName
from dialogs.flows.places import answered_place, place_or_home
from dialogs.nlu.types import COMPLAINT_CLASSES
from dialogs.tickets import open_ticket
from dialogs.turn import Turn

REPEAT_WINDOW = timedelta(days=30)
SAME_MATTER = 0.3  # share of shared character pairs above which two complaints are about one matter
ANONYMOUS = re.compile(
    r"匿名|不要透露|别说是我|不想留名|anonymous|anonymously|don'?t (?:tell|say) (?:it was|who)", re.I
)


class ComplaintStep(StrEnum):
    """The one detail a complaint may need asking for."""

    ROOM = "room"


def _pairs(text: str) -> set[str]:
    squashed = re.sub(r"\W+", "", text.lower())
    return {squashed[i : i + 2] for i in range(len(squashed) - 1)}


def same_matter(first: str, second: str) -> bool:
    """Whether two complaint texts are about the same thing (character-pair overlap, script-neutral)."""
    a, b = _pairs(first), _pairs(second)
    if not a or not b:
        return False
    return len(a & b) / min(len(a), len(b)) >= SAME_MATTER


class ComplaintFlow:
    """Records a complaint with an apology and a promise."""

    name = FlowName.COMPLAINT

    def start(self, turn: Turn, text: str) -> None:
        """Apologise, then open the ticket (asking where first when nothing says where)."""
        turn.say("complaint.apology")
        place = place_or_home(turn)
        if place is None:
            turn.go(self.name, ComplaintStep.ROOM, text=text)
            self.reprompt(turn)
            return
        self._open(turn, text, place)

    def resume(self, turn: Turn) -> None:
        """Take the place, then open the ticket."""
        place = answered_place(turn)
        if place is None:
            self.reprompt(turn)
            return
        text = str(turn.slots.get("text", ""))
        turn.end_flow()
        self._open(turn, text, place)

    def reprompt(self, turn: Turn) -> None:
        """Ask where the problem is."""
        turn.say("complaint.ask_room")

    def _open(self, turn: Turn, text: str, place: str) -> None:
        parse = turn.nlu.parse(text, now=turn.local_now) if text else None
        found = parse.first("complaint_class") if parse else None
        complaint_class = found if found in COMPLAINT_CLASSES else "service"
        details = {"complaint_class": complaint_class}
        if ANONYMOUS.search(text):
            details["anonymous"] = "true"
        earlier = self._earlier_same_matter(turn, text)
        if earlier is not None:
            details["linked_to"] = earlier.reference
        ticket = open_ticket(turn, TicketType.COMPLAINT, description=text, location=place, details=details)
        hours = turn.site.promises.complaint_feedback_hours
        turn.say("complaint.created", reference=ticket.reference, hours=hours)
        if "anonymous" in details:
            turn.say("complaint.anonymous")
        if earlier is not None:
            turn.say("complaint.linked", earlier=earlier.reference, date=turn.format_time(earlier.created_at))

    def _earlier_same_matter(self, turn: Turn, text: str) -> Ticket | None:
        if turn.resident.id is None:
            return None
        for ticket in turn.uow.tickets.list_for_resident(resident_id=turn.resident.id, limit=50):
            recent = turn.now - ticket.created_at <= REPEAT_WINDOW
            if ticket.type is TicketType.COMPLAINT and recent and same_matter(ticket.description, text):
                return ticket
        return None
