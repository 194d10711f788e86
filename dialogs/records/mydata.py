"""A resident's own data (/mydata): everything stored about them, as a JSON file they can keep.

It holds the profile (name, phone, language, room, when they registered), every ticket they opened with
what they wrote, the history they were shown (status changes, staff replies relayed to them, their own
additions) and their callback answers (回访), the survey ratings they gave, and where their current
conversation stands. Staff-internal events (who was
assigned, transfers between queues, escalations, refused presses) are left out: they are about the staff's
work, not about the resident. Only records of this resident are read — tickets by their resident id, the
conversation by their own chat — so another resident's data (even of the same household) never appears.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from dialogs.domain import EventKind, Resident, Ticket, TicketEvent
from dialogs.messages import FileKind, Outgoing, OutgoingFile, Reply
from dialogs.ports import UnitOfWork
from dialogs.site import SiteConfig
from dialogs.turn import Turn

log = logging.getLogger(__name__)

FORMAT_VERSION = 1
# Events a resident saw or caused; the rest are the staff's own bookkeeping.
VISIBLE_EVENTS: frozenset[EventKind] = frozenset(
    {EventKind.CREATED, EventKind.STATUS_CHANGED, EventKind.NOTE, EventKind.ATTACHMENT, EventKind.STAFF_REPLY}
)


@dataclass(frozen=True)
class DataFile:
    """A file to hand to the resident."""

    filename: str
    content: bytes
    tickets: int  # how many tickets it holds, for the caption


class ExportFiles(Protocol):
    """Where files for residents are put until the sender has delivered them (the var directory)."""

    def save(self, filename: str, content: bytes, *, now: datetime) -> str:
        """Store the file; returns the path an `OutgoingFile` can name."""
        ...

    def prune(self, *, now: datetime, dry_run: bool = False) -> int:
        """Delete files past their keeping time (delivered long since); returns how many (would) go."""
        ...


class MyDataExport:
    """Builds a resident's data file."""

    def __init__(self, *, site: SiteConfig) -> None:
        self._site = site

    def build(
        self, uow: UnitOfWork, resident: Resident, *, channel: str, chat_id: int, now: datetime
    ) -> DataFile:
        """The resident's data as of `now`; `channel`/`chat_id` name their private chat with the bot."""
        data = self.collect(uow, resident, channel=channel, chat_id=chat_id, now=now)
        text = json.dumps(data, ensure_ascii=False, indent=2)
        day = now.astimezone(self._site.zone).strftime("%Y%m%d")
        return DataFile(
            filename=f"mydata-{day}.json", content=text.encode("utf-8"), tickets=len(data["tickets"])
        )

    def collect(
        self, uow: UnitOfWork, resident: Resident, *, channel: str, chat_id: int, now: datetime
    ) -> dict[str, Any]:
        """The data as a JSON-ready mapping."""
        household = (
            uow.households.get(household_id=resident.household_id)
            if resident.household_id is not None
            else None
        )
        tickets = uow.records.tickets_of_resident(resident_id=resident.id) if resident.id is not None else []
        conversation = uow.conversations.load(channel=channel, chat_id=chat_id)
        return {
            "format_version": FORMAT_VERSION,
            "exported_at": self._time(now),
            "site": self._site.name.get(resident.language),
            "profile": {
                "channel": resident.channel,
                "user_id": resident.external_id,
                "name": resident.display_name,
                "phone": resident.phone,
                "language": resident.language,
                "room": household.room if household else None,
                "registered_at": self._time(resident.created_at),
            },
            "tickets": [self._ticket(uow, ticket) for ticket in tickets],
            "survey_ratings": self._surveys(uow, resident.id),
            "conversation": None
            if conversation is None
            else {
                "flow": conversation.flow,
                "step": conversation.step,
                "answers_so_far": conversation.slots,
                "updated_at": self._time(conversation.updated_at),
            },
        }

    def _ticket(self, uow: UnitOfWork, ticket: Ticket) -> dict[str, Any]:
        events = uow.tickets.events(ticket_id=ticket.id) if ticket.id is not None else []
        return {
            "reference": ticket.reference,
            "type": ticket.type.value,
            "status": ticket.status.value,
            "created_at": self._time(ticket.created_at),
            "updated_at": self._time(ticket.updated_at),
            "description": ticket.description,
            "location": ticket.location,
            "category": ticket.category,
            "phone": ticket.phone,
            "preferred_time": self._time(ticket.preferred_time),
            "photos": list(ticket.photos),
            "details": {k: v for k, v in ticket.details.items() if k != "staff_telegram_id"},
            "history": [self._event(event) for event in events if event.kind in VISIBLE_EVENTS],
            "callback": self._callback(uow, ticket),
        }

    def _callback(self, uow: UnitOfWork, ticket: Ticket) -> dict[str, Any] | None:
        """The resident's side of the ticket's callback (回访), if they were asked."""
        followup = uow.followups.for_ticket(ticket_id=ticket.id) if ticket.id is not None else None
        if followup is None or not followup.sampled:
            return None
        return {
            "status": followup.status.value,
            "asked_at": self._time(followup.sent_at),
            "answered_at": self._time(followup.answered_at),
            "rating": followup.rating,
            "solved": followup.solved,
            "comment": followup.comment,
        }

    def _surveys(self, uow: UnitOfWork, resident_id: int | None) -> list[dict[str, Any]]:
        """The ratings this resident gave in satisfaction surveys (the household's form is shared)."""
        given = []
        for campaign in uow.surveys.campaigns():
            if campaign.id is None:
                continue
            given += [
                {
                    "survey": campaign.name,
                    "dimension": answer.dimension,
                    "score": answer.score,
                    "answered_at": self._time(answer.answered_at),
                }
                for answer in uow.surveys.answers(campaign_id=campaign.id)
                if resident_id is not None and answer.resident_id == resident_id
            ]
        return given

    def _event(self, event: TicketEvent) -> dict[str, Any]:
        actor = event.actor.split(":", 1)[0]  # a role, not a staff member's record id
        return {"at": self._time(event.at), "what": event.kind.value, "by": actor, "data": dict(event.data)}

    def _time(self, when: datetime | None) -> str | None:
        return None if when is None else when.astimezone(self._site.zone).isoformat(timespec="seconds")


class MyDataCommand:
    """`/mydata`: the resident's data file, delivered as a document in their private chat."""

    def __init__(self, *, site: SiteConfig, files: ExportFiles | None) -> None:
        self._export = MyDataExport(site=site)
        self._files = files

    def handle(self, turn: Turn) -> None:
        """Build the file, store it for the sender and answer with it (the caption says what it holds)."""
        resident = turn.resident
        if self._files is None or resident.id is None:
            turn.say("mydata.unavailable")
            return
        message = turn.message
        data = self._export.build(
            turn.uow, resident, channel=message.channel.value, chat_id=message.chat_id, now=turn.now
        )
        path = self._files.save(data.filename, data.content, now=turn.now)
        reply = Reply(
            text=turn.t("mydata.caption", tickets=data.tickets),
            file=OutgoingFile(kind=FileKind.DOCUMENT, path=path, filename=data.filename),
        )
        turn.replies.append(Outgoing(channel=message.channel, chat_id=message.chat_id, reply=reply))
        log.info("resident data exported", extra={"resident_id": resident.id, "tickets": data.tickets})
