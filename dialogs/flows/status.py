"""Where is my request? (ticket_status): finds the resident's matching open tickets and says where each
stands, who has it (first name only: privacy) and the promised time.

"我昨天报的修什么时候来" names no reference, so a reference in the message is used when there is
one, otherwise the kind of request it mentions narrows the open tickets (a repair, a complaint, an
order), and otherwise all open tickets are listed.
"""

from __future__ import annotations

import re

from dialogs.domain import Ticket, TicketType
from dialogs.promises import promised_by
from dialogs.staffdesk import staff_display_name
from dialogs.tickets import status_label, type_label
from dialogs.turn import Turn

REFERENCE = re.compile(r"(?<![A-Za-z0-9])([RECSPOH])(\d{10})(?!\d)", re.I)
KIND_HINTS: dict[TicketType, re.Pattern[str]] = {
    TicketType.REPAIR: re.compile(r"修|师傅|维修|repair|fix|technician", re.I),
    TicketType.COMPLAINT: re.compile(r"投诉|complain", re.I),
    TicketType.SERVICE_ORDER: re.compile(r"订|送|预约|order|deliver|book", re.I),
    TicketType.SUGGESTION: re.compile(r"建议|suggest", re.I),
}


def matching_tickets(turn: Turn, text: str) -> list[Ticket]:
    """The resident's tickets this question is about."""
    if turn.resident.id is None:
        return []
    tickets = list(turn.uow.tickets.list_for_resident(resident_id=turn.resident.id, limit=50))
    named = {m.group(1).upper() + m.group(2) for m in REFERENCE.finditer(text)}
    if named:
        return [ticket for ticket in tickets if ticket.reference in named]
    active = [ticket for ticket in tickets if ticket.status.is_active]
    hinted = [t for t in active if (hint := KIND_HINTS.get(t.type)) is not None and hint.search(text)]
    return hinted or active


def assignee_first_name(turn: Turn, ticket: Ticket) -> str | None:
    """The first name of whoever accepted the ticket, if anyone has."""
    if ticket.assignee_id is None:
        return None
    member = turn.uow.staff.get(staff_id=ticket.assignee_id)
    return staff_display_name(turn, turn.lang, member.name) if member else None


class StatusFlow:
    """One message: the status of the tickets asked about."""

    def start(self, turn: Turn, text: str) -> None:
        """Report the matching tickets."""
        tickets = matching_tickets(turn, text)
        if not tickets:
            turn.say("status.none")
            return
        lines = [turn.t("status.title")]
        for ticket in tickets[:5]:
            promise = promised_by(ticket, turn.site)
            who = assignee_first_name(turn, ticket)
            lines.append(
                turn.t(
                    "status.line",
                    reference=ticket.reference,
                    type=type_label(turn, ticket.type),
                    status=status_label(turn, ticket.status),
                    who=who or turn.t("status.unassigned"),
                    promise=turn.format_time(promise) if promise else turn.t("common.none"),
                )
            )
        turn.say_text("\n".join(lines))
