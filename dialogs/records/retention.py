"""The retention period: personal data goes once a matter is finished longer ago than the site keeps records.

The manual keeps records two years (`SiteConfig.retention_days`, default 730). After that, for every ticket
that is resolved, closed or cancelled and has not changed or had an event since the cut-off, the personal
content is removed in place and the ticket is stamped as anonymised; what the reports count stays.

Removed from a ticket: the description, the location text, the contact phone, the photo file ids, the chat
it came from, and every `details` entry except the classifications listed in `KEPT_DETAILS`.
Removed from its events: every data entry except the facts in `KEPT_EVENT_DATA` (so staff replies, relayed
texts, resolution notes and comments go), and an outsider's chat identity in the actor.
Kept: the reference, type, status, priority, category, queue, household (hence building), assignee, times,
language and channel, complaint class and cause, hazard, service item, every event's kind, time and actor
role, and the ticket's callback record (回访) with its rating, solved answer and phone result — so every
count of the monthly and yearly reports is the same before and after (the texts the reports quote, such as
a suggestion's words, are gone). The callback loses the resident's comment and chat; a ticket whose callback
is still to be asked, answered or phoned is not touched until it is done.

A resident whose tickets are all anonymised, who was registered before the cut-off and whose chat has been
silent since then loses name, phone, household link and channel identity (the Telegram account no longer
leads to the record; if the person writes again they start as a new resident). Conversation states,
delivered outgoing messages and message references older than the cut-off are deleted: they hold nothing
the reports count. Satisfaction-survey forms finished before the cut-off lose their comment (the ratings
stay), archive files of quarters that ended before the cut-off are deleted, and so are /mydata files once
their short keeping time is over (they only wait to be delivered).

Everything runs in batches, one transaction each; a record is stamped when done, so running the purge again
changes nothing (idempotent).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, fields, replace
from datetime import datetime, time, timedelta

from dialogs.domain import Resident, Ticket, TicketEvent, TicketType
from dialogs.messages import Outgoing
from dialogs.ports import UnitOfWork
from dialogs.records.archive import ArchiveStore
from dialogs.records.mydata import ExportFiles
from dialogs.records.quarters import Quarter
from dialogs.reports.causes import cause_of
from dialogs.site import SiteConfig

log = logging.getLogger(__name__)

# Ticket `details` that classify a matter (what the reports group by), not what the resident wrote.
KEPT_DETAILS: frozenset[str] = frozenset(
    {
        "complaint_class",
        "hazard",
        "service_item",
        "price",
        "outcome",
        "anonymous",
        "linked_to",
        "staff_telegram_id",
        "staff_name",
        "cause",
    }
)
# Event data that records what happened (a status, a queue, a promise, a rating), not what anyone said.
KEPT_EVENT_DATA: frozenset[str] = frozenset(
    {
        "type",
        "priority",
        "category",
        "to",
        "outcome",
        "confirmed",
        "reopened",
        "promise",
        "level",
        "queue",
        "staff_id",
        "name",
        "action",
        "feedback",
    }
)
# Actors that name a role or a registered record; anything else (`telegram:<user id>` of an outsider who
# pressed a staff button) is reduced to its channel.
_KEPT_ACTOR_PREFIXES = ("resident:", "staff:", "system")
BATCH = 200
RETENTION_MARK = "retention"
RUN_AT = time(3, 0)  # site-local: the nightly purge runs when nobody is using the desk


@dataclass(frozen=True)
class PurgeCounts:
    """What one purge (or a batch of it) removed; logged and shown by the CLI."""

    tickets: int = 0
    events: int = 0
    residents: int = 0
    conversations: int = 0
    outbox: int = 0
    message_refs: int = 0
    survey_comments: int = 0
    archives: int = 0
    exports: int = 0

    def __add__(self, other: PurgeCounts) -> PurgeCounts:
        return PurgeCounts(**{f.name: getattr(self, f.name) + getattr(other, f.name) for f in fields(self)})

    def as_dict(self) -> dict[str, int]:
        """For logs and the CLI."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


def scrub_ticket(ticket: Ticket) -> Ticket:
    """The ticket without personal content (see the module docstring for the list).

    A complaint's cause is read off its words by the reports (`dialogs.reports.causes`); it is stored
    before the words go, so a month's complaints count under the same causes afterwards.
    """
    details = {key: value for key, value in ticket.details.items() if key in KEPT_DETAILS}
    if ticket.type is TicketType.COMPLAINT:
        details["cause"] = cause_of(ticket)
    return replace(ticket, description="", location="", phone=None, photos=(), chat_id=0, details=details)


def scrub_event(event: TicketEvent) -> TicketEvent:
    """The event without what anybody wrote or who an outsider was."""
    actor = event.actor
    if not actor.startswith(_KEPT_ACTOR_PREFIXES):
        actor = actor.split(":", 1)[0]
    return replace(
        event, actor=actor, data={key: value for key, value in event.data.items() if key in KEPT_EVENT_DATA}
    )


def scrub_resident(resident: Resident) -> Resident:
    """The resident without name, phone, home or channel identity.

    The identity becomes the negative of the record's id: unique, and never a real Telegram user id
    (those are positive), so the person is not recognised any more and the row still satisfies its key.
    """
    if resident.id is None:
        raise ValueError("only a stored resident can be scrubbed")
    return replace(resident, display_name="", phone=None, household_id=None, external_id=-resident.id)


class Retention:
    """Applies the site's retention period to the records."""

    def __init__(
        self, *, site: SiteConfig, archives: ArchiveStore | None = None, exports: ExportFiles | None = None
    ) -> None:
        self._site = site
        self._archives = archives
        self._exports = exports

    def cutoff(self, now: datetime) -> datetime:
        """Records finished before this instant are past the retention period."""
        return now - timedelta(days=self._site.retention_days)

    def archives_past(self, now: datetime) -> list[Quarter]:
        """Stored archives of quarters that ended before the cut-off."""
        if self._archives is None:
            return []
        keep_from = Quarter.containing(self.cutoff(now), self._site.zone)  # earlier ones ended before it
        return [quarter for quarter in self._archives.stored() if quarter < keep_from]

    def purge_batch(
        self, uow: UnitOfWork, now: datetime, *, limit: int | None = BATCH, dry_run: bool = False
    ) -> PurgeCounts:
        """One batch in `uow` (the caller commits): up to `limit` tickets and residents (None: all).

        `dry_run` counts the files that would go without deleting them (the caller rolls the database back
        instead of committing).
        """
        before = self.cutoff(now)
        size = limit if limit is not None else 2**31 - 1
        tickets = events = 0
        for ticket in uow.records.expired_tickets(before=before, limit=size):
            assert ticket.id is not None
            scrubbed = [scrub_event(event) for event in uow.tickets.events(ticket_id=ticket.id)]
            uow.records.anonymise_ticket(ticket=scrub_ticket(ticket), events=scrubbed, at=now)
            tickets += 1
            events += len(scrubbed)
        residents = 0
        for resident in uow.records.expired_residents(before=before, limit=size):
            uow.records.anonymise_resident(resident=scrub_resident(resident), at=now)
            residents += 1
        archives = self.archives_past(now)
        if self._archives is not None and not dry_run:
            for quarter in archives:
                self._archives.remove(quarter)
        exports = self._exports.prune(now=now, dry_run=dry_run) if self._exports is not None else 0
        return PurgeCounts(
            tickets=tickets,
            events=events,
            residents=residents,
            conversations=uow.records.delete_conversations(before=before),
            outbox=uow.records.delete_outbox(before=before),
            message_refs=uow.records.delete_message_refs(before=before),
            survey_comments=uow.records.scrub_survey_comments(before=before),
            archives=len(archives),
            exports=exports,
        )


class RetentionJob:
    """The nightly purge as a periodic job of the ticker.

    Claimed once a night (a schedule mark at the site's 03:00), so one worker runs it; when a batch was
    full, the same worker takes the next batch on its next tick until the backlog is gone, each batch in
    the tick's own transaction.
    """

    name = "retention"

    def __init__(
        self,
        *,
        site: SiteConfig,
        archives: ArchiveStore | None = None,
        exports: ExportFiles | None = None,
        batch: int = BATCH,
    ) -> None:
        self._site = site
        self._retention = Retention(site=site, archives=archives, exports=exports)
        self._batch = batch
        self._backlog = False

    def run(self, uow: UnitOfWork, now: datetime) -> list[Outgoing]:
        """Purge a batch when tonight's run is due (or a backlog is left); sends nothing."""
        if not self._backlog and not uow.schedule_marks.claim(name=RETENTION_MARK, due_at=self.due_at(now)):
            return []
        counts = self._retention.purge_batch(uow, now, limit=self._batch)
        self._backlog = counts.tickets >= self._batch or counts.residents >= self._batch
        log.info("retention batch", extra={"job": self.name, **counts.as_dict()})
        return []

    def due_at(self, now: datetime) -> datetime:
        """The most recent nightly run time at or before `now`."""
        local = now.astimezone(self._site.zone)
        tonight = local.replace(hour=RUN_AT.hour, minute=RUN_AT.minute, second=0, microsecond=0)
        return tonight if tonight <= local else tonight - timedelta(days=1)
