"""The time the center promised a resident for a ticket (时效制), from the site's service promises.

Residents are told this time when they ask about progress; the staff side's promise clock (with office hours
and pauses) builds on the same numbers. A booked visit time is itself the promise.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from dialogs.domain import Ticket, TicketType
from dialogs.site import SiteConfig


def promised_by(ticket: Ticket, site: SiteConfig) -> datetime | None:
    """When the ticket should be handled (aware), or None for records that promise nothing (S, P)."""
    promises = site.promises
    created = ticket.created_at
    if ticket.preferred_time is not None and ticket.type in (TicketType.REPAIR, TicketType.SERVICE_ORDER):
        return ticket.preferred_time
    if ticket.type is TicketType.REPAIR:
        category = site.repair_categories.get(ticket.category or "other")
        if category is not None and not category.small:
            return created + timedelta(days=promises.large_repair_days)
        local = created.astimezone(site.zone)
        end_of_day = datetime.combine(local.date(), time(23, 59), tzinfo=site.zone)
        return end_of_day
    if ticket.type is TicketType.COMPLAINT:
        return created + timedelta(hours=promises.complaint_feedback_hours)
    if ticket.type is TicketType.EMERGENCY:
        return created + timedelta(minutes=promises.emergency_accept_minutes)
    if ticket.type is TicketType.SERVICE_ORDER:
        item = site.service_catalogue.get(ticket.category or "")
        return created + timedelta(hours=item.lead_time_hours if item else 24)
    if ticket.type is TicketType.HUMAN:
        return created + timedelta(hours=promises.handoff_reply_hours)
    return None
