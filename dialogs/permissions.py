"""Who may do what to a ticket: the staff side's permission matrix.

Only registered, active staff act on tickets, each within their role: technicians work (and resolve) the
tickets of their own queues; agents handle the front desk's work; supervisors also reassign and close;
managers may do everything. Anyone else — a resident pressing a forwarded button, a forged callback — may do
nothing, and the refusal is recorded.
"""

from __future__ import annotations

from enum import StrEnum

from dialogs.domain import StaffMember, StaffRole, Ticket
from dialogs.routing import serves


class StaffAction(StrEnum):
    """What staff can do to a ticket."""

    ACCEPT = "accept"
    TRANSFER = "transfer"
    REPLY = "reply"
    RESOLVE = "resolve"
    REASSIGN = "reassign"
    CLOSE = "close"


def allowed(member: StaffMember | None, action: StaffAction, ticket: Ticket) -> bool:
    """Whether `member` may perform `action` on `ticket`."""
    if member is None or not member.active:
        return False
    role = member.role
    if role is StaffRole.MANAGER:
        return True
    own = ticket.assignee_id is not None and ticket.assignee_id == member.id
    in_queue = ticket.queue is None or serves(member, ticket.queue)
    if role is StaffRole.SUPERVISOR:
        return action is not StaffAction.ACCEPT or in_queue
    if action in (StaffAction.REASSIGN, StaffAction.CLOSE):
        return False
    if role is StaffRole.TECHNICIAN:
        if action is StaffAction.ACCEPT:
            return in_queue and (ticket.assignee_id is None or own)
        return own
    # agents: the front desk's generalists
    if action is StaffAction.ACCEPT:
        return in_queue and (ticket.assignee_id is None or own)
    return own or action in (StaffAction.TRANSFER, StaffAction.REPLY)
