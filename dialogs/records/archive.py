"""The quarterly archive (归档): a quarter's records as tables the office can file and open in Excel.

An archive holds the tickets created in the quarter, every ticket event that happened in it (also of
older tickets), and the residents and households as they stand when it is written; follow-up records are
in the events. Times are shown in the site's zone. Column names are stable identifiers, not prose, so a
spreadsheet or a later import can rely on them. Writing the files is the shell's business (`ArchiveStore`);
this module only decides what goes in.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from dialogs.domain import Household, Resident, Ticket, TicketEvent
from dialogs.messages import Outgoing
from dialogs.ports import UnitOfWork
from dialogs.records.quarters import Quarter
from dialogs.site import SiteConfig

log = logging.getLogger(__name__)

ARCHIVE_MARK = "quarterly-archive"


@dataclass(frozen=True)
class Table:
    """One table of an archive: a file of its own in CSV, a sheet in a workbook."""

    name: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


class ArchiveStore(Protocol):
    """Where archives are kept (files under the var directory in production)."""

    def write(self, quarter: Quarter, tables: Sequence[Table]) -> str:
        """Store the quarter's archive, replacing an earlier one of the same quarter; returns where."""
        ...

    def stored(self) -> Sequence[Quarter]:
        """The quarters that have an archive."""
        ...

    def remove(self, quarter: Quarter) -> None:
        """Delete the quarter's archive (past the retention period)."""
        ...


TICKET_COLUMNS = (
    "reference",
    "type",
    "status",
    "priority",
    "category",
    "queue",
    "room",
    "building",
    "location",
    "description",
    "phone",
    "resident_id",
    "assignee_id",
    "language",
    "channel",
    "created_at",
    "updated_at",
    "preferred_time",
    "photos",
    "details",
)
EVENT_COLUMNS = ("reference", "at", "kind", "actor", "data")
RESIDENT_COLUMNS = ("id", "channel", "external_id", "name", "phone", "language", "room", "created_at")
HOUSEHOLD_COLUMNS = ("id", "room", "building", "unit")


class ArchiveBuilder:
    """Builds a quarter's archive tables from the records."""

    def __init__(self, *, site: SiteConfig) -> None:
        self._site = site

    def build(self, uow: UnitOfWork, quarter: Quarter) -> list[Table]:
        """The quarter's tables: tickets, events, residents, households."""
        zone = self._site.zone
        start, end = quarter.start(zone), quarter.end(zone)
        households = {h.id: h for h in uow.records.households()}
        tickets = uow.records.tickets_created(start=start, end=end)
        events = uow.records.events_between(start=start, end=end)
        # Only the people behind the quarter's records: an archive kept two years must not carry everyone's
        # identity along after retention has removed it from the database.
        concerned = {t.resident_id for t in tickets}
        known = {t.reference for t in tickets}
        for reference in {ref for ref, _ in events} - known:
            older = uow.tickets.get(reference=reference)
            if older is not None:
                concerned.add(older.resident_id)
        residents = [r for r in uow.records.residents() if r.id in concerned]
        return [
            Table("tickets", TICKET_COLUMNS, tuple(self._ticket(t, households) for t in tickets)),
            Table("events", EVENT_COLUMNS, tuple(self._event(ref, e) for ref, e in events)),
            Table("residents", RESIDENT_COLUMNS, tuple(self._resident(r, households) for r in residents)),
            Table("households", HOUSEHOLD_COLUMNS, tuple(self._household(h) for h in households.values())),
        ]

    def _ticket(self, ticket: Ticket, households: dict[int | None, Household]) -> tuple[str, ...]:
        home = households.get(ticket.household_id) if ticket.household_id is not None else None
        return (
            ticket.reference,
            ticket.type.value,
            ticket.status.value,
            ticket.priority.value,
            ticket.category or "",
            ticket.queue or "",
            home.room if home else "",
            home.building if home else "",
            ticket.location,
            ticket.description,
            ticket.phone or "",
            str(ticket.resident_id),
            "" if ticket.assignee_id is None else str(ticket.assignee_id),
            ticket.language,
            ticket.channel,
            self._time(ticket.created_at),
            self._time(ticket.updated_at),
            self._time(ticket.preferred_time),
            str(len(ticket.photos)),
            _json(ticket.details),
        )

    def _event(self, reference: str, event: TicketEvent) -> tuple[str, ...]:
        return (reference, self._time(event.at), event.kind.value, event.actor, _json(event.data))

    def _resident(self, resident: Resident, households: dict[int | None, Household]) -> tuple[str, ...]:
        home = households.get(resident.household_id) if resident.household_id is not None else None
        return (
            str(resident.id),
            resident.channel,
            str(resident.external_id),
            resident.display_name,
            resident.phone or "",
            resident.language,
            home.room if home else "",
            self._time(resident.created_at),
        )

    @staticmethod
    def _household(household: Household) -> tuple[str, ...]:
        return (str(household.id), household.room, household.building, household.unit)

    def _time(self, when: datetime | None) -> str:
        return "" if when is None else when.astimezone(self._site.zone).isoformat(timespec="seconds")


def _json(value: dict[str, Any]) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True) if value else ""


class QuarterlyArchive:
    """Writes the previous quarter's archive once, early in each new quarter (a periodic job of the ticker).

    The schedule mark is the start of the current quarter, so exactly one worker writes each archive; a
    crash after writing but before the commit only means the same archive is written again.
    """

    name = "quarterly-archive"

    def __init__(self, *, site: SiteConfig, store: ArchiveStore) -> None:
        self._site = site
        self._store = store
        self._builder = ArchiveBuilder(site=site)

    def run(self, uow: UnitOfWork, now: datetime) -> list[Outgoing]:
        """Archive the quarter that ended last, if no worker has done so; sends nothing."""
        current = Quarter.containing(now, self._site.zone)
        if not uow.schedule_marks.claim(name=ARCHIVE_MARK, due_at=current.start(self._site.zone)):
            return []
        quarter = current.previous()
        where = self._store.write(quarter, self._builder.build(uow, quarter))
        log.info("quarter archived", extra={"job": self.name, "quarter": quarter.label, "where": where})
        return []
