"""The household file (一户一档): everything about one home in time order, for staff.

The manual keeps one file per household holding all its requests, visits and callbacks. Here it is read
straight from the records — residents, tickets with every event of each, the ticket's callback (回访) with
its rating, and the household's satisfaction-survey forms — so it is always complete and needs no upkeep of
its own. Phone numbers are masked: the file is read in staff chats.
"""

from __future__ import annotations

from datetime import datetime

from dialogs.domain import EventKind, TicketEvent
from dialogs.followup.records import FollowUp
from dialogs.i18n import Catalog
from dialogs.phones import mask_phone, mask_phones_in
from dialogs.ports import UnitOfWork
from dialogs.rooms import parse_room
from dialogs.site import SiteConfig
from dialogs.survey.model import Campaign


class HouseholdFile:
    """Renders a household's file in the staff's language."""

    def __init__(self, *, site: SiteConfig, catalog: Catalog) -> None:
        self._site = site
        self._catalog = catalog
        self._lang = site.default_language

    def render(self, uow: UnitOfWork, room_text: str) -> str:
        """The file of the household `room_text` names (or a short explanation when there is none)."""
        t = self._catalog.t
        address = parse_room(room_text)
        household = uow.households.find(room=address.key) if address else None
        if address is None or household is None or household.id is None:
            return t(self._lang, "household.not_found", room=room_text.strip())
        lines = [t(self._lang, "household.title", room=address.label(self._catalog, self._lang))]
        for resident in uow.residents.list_for_household(household_id=household.id):
            lines.append(
                t(
                    self._lang,
                    "household.resident",
                    name=resident.display_name or str(resident.external_id),
                    phone=mask_phone(resident.phone) if resident.phone else t(self._lang, "common.none"),
                    language=t(self._lang, f"lang.{resident.language}"),
                )
            )
        tickets = list(uow.tickets.list_for_household(household_id=household.id))
        if not tickets:
            lines.append(t(self._lang, "household.no_tickets"))
        staff = {member.id: member.name for member in uow.staff.list(active_only=False)}
        for ticket in tickets:
            lines.append(
                t(
                    self._lang,
                    "household.ticket",
                    reference=ticket.reference,
                    type=t(self._lang, f"ticket_type.{ticket.type.name.lower()}"),
                    status=t(self._lang, f"status.{ticket.status.value}"),
                    created=self._time(ticket.created_at),
                    text=mask_phones_in(ticket.description),
                )
            )
            if ticket.id is not None:
                lines += [self._event(event, staff) for event in uow.tickets.events(ticket_id=ticket.id)]
                followup = uow.followups.for_ticket(ticket_id=ticket.id)
                if followup is not None and followup.sampled:
                    lines.append(self._callback(followup))
        lines += self._surveys(uow, household.id)
        return "\n".join(lines)

    def _callback(self, followup: FollowUp) -> str:
        """The ticket's callback (回访): where it stands and what the resident (or the phone call) said."""
        t = self._catalog.t
        parts = []
        if followup.late:
            parts.append(t(self._lang, "household.callback.late"))
        if followup.rating is not None:
            parts.append(t(self._lang, "household.callback.rating", rating=followup.rating))
        if followup.solved is not None:
            parts.append(t(self._lang, f"household.callback.solved_{'yes' if followup.solved else 'no'}"))
        if followup.phone_result:
            parts.append(t(self._lang, f"household.callback.result.{followup.phone_result}"))
        if followup.comment:
            parts.append(
                t(self._lang, "household.callback.comment", comment=mask_phones_in(followup.comment))
            )
        if followup.complaint_reference:
            parts.append(
                t(self._lang, "household.callback.complaint", reference=followup.complaint_reference)
            )
        when = followup.phone_at or followup.answered_at or followup.sent_at or followup.due_at
        return t(
            self._lang,
            "household.callback",
            time=self._time(when) if when else "",
            state=t(self._lang, f"household.callback.state.{followup.status.value}"),
            detail="".join(t(self._lang, "household.callback.part", part=part) for part in parts),
        )

    def _surveys(self, uow: UnitOfWork, household_id: int) -> list[str]:
        """The household's satisfaction-survey forms (满意度调查), campaign by campaign."""
        t = self._catalog.t
        lines = []
        for campaign in uow.surveys.campaigns():
            if campaign.id is None:
                continue
            form = uow.surveys.find_delivery(campaign_id=campaign.id, household_id=household_id)
            if form is None or form.id is None or form.sent_at is None:
                continue
            scores = uow.surveys.form_answers(delivery_id=form.id)
            named = [
                t(self._lang, "household.survey.score", dimension=self._dimension(key), score=score)
                for key, score in sorted(
                    scores.items(), key=lambda item: self._asked_order(campaign, item[0])
                )
            ]
            text = t(self._lang, "household.survey.separator").join(named) or t(
                self._lang, "household.survey.unanswered"
            )
            if form.comment:
                text += t(
                    self._lang,
                    "household.callback.part",
                    part=t(self._lang, "household.callback.comment", comment=mask_phones_in(form.comment)),
                )
            lines.append(
                t(
                    self._lang,
                    "household.survey",
                    name=campaign.name,
                    time=self._time(form.sent_at),
                    scores=text,
                )
            )
        return lines

    @staticmethod
    def _asked_order(campaign: Campaign, key: str) -> tuple[int, str]:
        """Ratings in the order the form asked them."""
        asked = campaign.dimensions
        return (asked.index(key) if key in asked else len(asked), key)

    def _dimension(self, key: str) -> str:
        label = self._site.survey.dimensions.get(key)
        return label.get(self._lang) if label else key

    def _event(self, event: TicketEvent, staff: dict[int | None, str]) -> str:
        t = self._catalog.t
        actor = event.actor
        if actor.startswith("staff:") and actor[6:].isdigit():
            actor = staff.get(int(actor[6:]), actor)
        elif actor.startswith("resident:"):
            actor = t(self._lang, "household.by_resident")
        elif actor == "system":
            actor = t(self._lang, "household.by_system")
        detail = ""
        if event.kind is EventKind.STATUS_CHANGED and "to" in event.data:
            detail = t(self._lang, f"status.{event.data['to']}")
            if event.data.get("note"):
                detail += f" · {event.data['note']}"
        elif event.kind is EventKind.STAFF_REPLY:
            detail = mask_phones_in(str(event.data.get("text", "")))
        elif event.kind is EventKind.ASSIGNED:
            detail = str(event.data.get("name", ""))
        elif event.kind is EventKind.ESCALATED:
            detail = t(self._lang, f"escalation.promise.{event.data.get('promise', 'accept')}")
        return t(
            self._lang,
            "household.event",
            time=self._time(event.at),
            what=t(self._lang, f"household.kind.{event.kind.value}"),
            actor=actor,
            detail=detail,
        )

    def _time(self, when: datetime) -> str:
        return when.astimezone(self._site.zone).strftime(self._catalog.t(self._lang, "format.datetime"))
