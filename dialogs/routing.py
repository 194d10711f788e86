"""Routing: which staff queue a ticket goes to, and who in the queue gets it.

The queue follows from the ticket (repair category, emergency hazard, complaint class, service item) through
the site's configuration. Within a queue the site chooses: `grab` (nobody is assigned; the first to accept
takes it), `round_robin` (in turn among staff on shift who serve the queue) or `least_loaded` (whoever has the
fewest open tickets).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from dialogs.domain import StaffMember, StaffRole, Ticket, TicketType
from dialogs.site import RoutingRule, SiteConfig

# Roles that take tickets from queues; supervisors and managers oversee them.
WORKERS: frozenset[StaffRole] = frozenset({StaffRole.AGENT, StaffRole.TECHNICIAN})


def _matches(rule: RoutingRule, ticket: Ticket, building: str | None) -> bool:
    pairs = (
        (rule.type, ticket.type.value),
        (rule.category, ticket.category),
        (rule.complaint_class, ticket.details.get("complaint_class")),
        (rule.hazard, ticket.details.get("hazard")),
        (rule.building, building),
    )
    return all(actual == expected for expected, actual in pairs if expected is not None)


def queue_for(ticket: Ticket, site: SiteConfig, *, building: str | None = None) -> str:
    """The queue that handles this ticket (`building` is the household's, for building rules)."""
    routing = site.routing
    for rule in routing.rules:
        if _matches(rule, ticket, building):
            return rule.queue
    if ticket.type is TicketType.REPAIR:
        category = site.repair_categories.get(ticket.category or "other")
        return category.queue if category else routing.default_queue
    if ticket.type is TicketType.EMERGENCY:
        return routing.emergency.get(ticket.details.get("hazard", "urgent"), routing.default_queue)
    if ticket.type is TicketType.COMPLAINT:
        return routing.complaint.get(ticket.details.get("complaint_class", "service"), routing.default_queue)
    if ticket.type is TicketType.SERVICE_ORDER:
        item = site.service_catalogue.get(ticket.category or "")
        return item.queue if item else routing.default_queue
    if ticket.type is TicketType.PRAISE:
        return routing.praise
    if ticket.type is TicketType.SUGGESTION:
        return routing.suggestion
    return routing.handoff


def serves(member: StaffMember, queue: str) -> bool:
    """Whether a staff member works this queue (no skills listed means every queue)."""
    return member.active and (not member.skills or queue in member.skills)


def candidates(staff: Sequence[StaffMember], queue: str) -> list[StaffMember]:
    """Workers on shift who serve the queue, in a stable order."""
    chosen = [m for m in staff if m.role in WORKERS and m.on_shift and serves(m, queue)]
    return sorted(chosen, key=lambda m: m.telegram_id)


def choose_assignee(
    strategy: str,
    staff: Sequence[StaffMember],
    queue: str,
    *,
    open_load: Mapping[int, int],
    last_assigned: int | None,
) -> StaffMember | None:
    """Who gets a new ticket of this queue (None: nobody yet — grab, or nobody on shift).

    `open_load` maps staff ids to their open tickets; `last_assigned` is the staff id the queue's previous
    ticket went to (round robin continues after it).
    """
    pool = candidates(staff, queue)
    if strategy == "grab" or not pool:
        return None
    if strategy == "least_loaded":
        return min(pool, key=lambda m: (open_load.get(m.id or 0, 0), m.telegram_id))
    ids = [m.id for m in pool]
    if last_assigned in ids:
        return pool[(ids.index(last_assigned) + 1) % len(pool)]
    return pool[0]


def supervisors_of(staff: Sequence[StaffMember], queue: str) -> list[StaffMember]:
    """The supervisors responsible for a queue (those serving it, else every supervisor)."""
    supervisors = [m for m in staff if m.active and m.role is StaffRole.SUPERVISOR]
    own = [m for m in supervisors if m.skills and queue in m.skills]
    return own or supervisors


def managers(staff: Sequence[StaffMember]) -> list[StaffMember]:
    """Active managers."""
    return [m for m in staff if m.active and m.role is StaffRole.MANAGER]
