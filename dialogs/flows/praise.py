"""Praise (表扬): thank, and record who was praised as a P ticket for that person's supervisor.

When the message names a registered staff member (full name, or a given name, as residents say "小李" or
"王师傅" less often than the name on the badge), the ticket carries their id, so the praise reaches their
supervisor and counts in the staff section of the monthly report. Praise needs no follow-up.
"""

from __future__ import annotations

from dialogs.domain import StaffMember, TicketType
from dialogs.flows.places import place_or_home
from dialogs.tickets import open_ticket
from dialogs.turn import Turn


def praised_staff(turn: Turn, text: str) -> StaffMember | None:
    """The registered staff member the text names, if any (longest name wins)."""
    lowered = text.lower()
    best: StaffMember | None = None
    for member in turn.uow.staff.list(active_only=True):
        name = member.name.strip().lower()
        if len(name) >= 2 and name in lowered and (best is None or len(name) > len(best.name)):
            best = member
    return best


class PraiseFlow:
    """One message: thanks and a record addressed to the praised person's supervisor."""

    def start(self, turn: Turn, text: str) -> None:
        """Record the praise and thank the resident."""
        member = praised_staff(turn, text)
        details = {"staff_telegram_id": str(member.telegram_id), "staff_name": member.name} if member else {}
        ticket = open_ticket(
            turn, TicketType.PRAISE, description=text, location=place_or_home(turn) or "", details=details
        )
        if member is not None:
            turn.say("praise.thanks_named", reference=ticket.reference, name=member.name)
        else:
            turn.say("praise.thanks", reference=ticket.reference)
