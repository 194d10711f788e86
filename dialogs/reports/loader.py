"""Loading a month's report data through the repositories (one read-only unit of work)."""

from __future__ import annotations

from datetime import datetime

from dialogs.domain import Ticket, TicketType
from dialogs.ports import UnitOfWork
from dialogs.reports.monthly import MonthData
from dialogs.reports.period import ReportMonth
from dialogs.reports.surveys import surveys_of_month


def load_month(uow: UnitOfWork, month: ReportMonth, as_of: datetime | None = None) -> MonthData:
    """Tickets received in the month with their events, the households they are filed under, the staff,
    the earlier complaints that the month's complaints are linked to (for the repeated-matter flag), the
    callback records of the tickets resolved in the month and the survey campaigns run in it."""
    tickets = tuple(uow.tickets.list_created_between(start=month.start, end=month.end))
    in_month = {ticket.reference for ticket in tickets}
    earlier: dict[str, Ticket] = {}
    pending = [
        t.details["linked_to"] for t in tickets if t.type is TicketType.COMPLAINT and "linked_to" in t.details
    ]
    while pending:
        reference = pending.pop()
        if reference in in_month or reference in earlier:
            continue
        found = uow.tickets.get(reference=reference)
        # Only complaints make a chain of the same matter: a complaint opened from an unsatisfactory
        # callback links to the repair it was about, and that repair is not a second complaint.
        if found is not None and found.type is TicketType.COMPLAINT:
            earlier[reference] = found
            if "linked_to" in found.details:
                pending.append(found.details["linked_to"])
    events = {t.id: tuple(uow.tickets.events(ticket_id=t.id)) for t in tickets if t.id is not None}
    buildings: dict[int, str] = {}
    rooms: dict[int, str] = {}
    for household_id in {t.household_id for t in tickets if t.household_id is not None}:
        household = uow.households.get(household_id=household_id)
        if household is not None:
            buildings[household_id] = household.building
            rooms[household_id] = household.room
    return MonthData(
        month=month,
        tickets=tickets,
        events=events,
        buildings=buildings,
        rooms=rooms,
        staff=tuple(uow.staff.list(active_only=False)),
        earlier=tuple(sorted(earlier.values(), key=lambda t: t.created_at)),
        followups=tuple(uow.followups.list_resolved(start=month.start, end=month.end)),
        surveys=surveys_of_month(uow, month),
        as_of=as_of,
    )
