"""The other things residents bring to the front desk: emergencies, complaints, suggestions, praise,
courtesy-service orders, questions and requests for a person.

Each follows the manual's manner: an emergency gets the safety instruction and the hotline before any
question; a complaint gets an apology first and the 24-hour feedback promise; a suggestion or praise is
thanked; a question is answered from the site FAQ or, when the FAQ has no answer, promised a person's
answer within a stated time (never "I don't know").
"""

from __future__ import annotations

from dataclasses import replace
from enum import StrEnum

from dialogs.domain import EventKind, Priority, Ticket, TicketEvent, TicketType
from dialogs.flows.base import FlowName
from dialogs.flows.onboarding import home_label, room_from_text
from dialogs.messages import Action, ActionKind, Button
from dialogs.nlu.types import Intent
from dialogs.rooms import building_exists, common_area
from dialogs.site import FaqEntry
from dialogs.tickets import open_ticket
from dialogs.turn import Turn

SERVICE_PAGE_SIZE = 8


class RequestStep(StrEnum):
    """Steps of the short request conversations."""

    EMERGENCY_LOCATION = "emergency_location"
    COMPLAINT_ROOM = "complaint_room"
    SERVICE_PICK = "service_pick"
    SERVICE_CONFIRM = "service_confirm"


def best_faq(turn: Turn, text: str) -> FaqEntry | None:
    """The FAQ entry whose keywords the question mentions most (retrieval over the site FAQ)."""
    lowered = text.lower()
    best: tuple[int, FaqEntry] | None = None
    for entry in turn.site.faq.values():
        score = sum(len(keyword) for keyword in entry.keywords if keyword.lower() in lowered)
        if score and (best is None or score > best[0]):
            best = (score, entry)
    return best[1] if best else None


class RequestFlow:
    """Emergencies, complaints, suggestions, praise, service orders, questions and handoffs."""

    name = FlowName.REQUEST

    def start(self, turn: Turn, intent: Intent, text: str) -> None:
        """Begin the conversation that fits `intent`."""
        if intent is Intent.EMERGENCY:
            self._emergency(turn, text)
        elif intent is Intent.COMPLAINT:
            turn.say("complaint.apology")
            if self._location(turn) is None:
                turn.go(self.name, RequestStep.COMPLAINT_ROOM, text=text)
                turn.say("complaint.ask_room")
            else:
                self._open_complaint(turn, text)
        elif intent is Intent.SUGGESTION:
            ticket = open_ticket(
                turn, TicketType.SUGGESTION, description=text, location=self._location(turn) or ""
            )
            turn.say("suggestion.thanks", reference=ticket.reference)
        elif intent is Intent.PRAISE:
            ticket = open_ticket(
                turn, TicketType.PRAISE, description=text, location=self._location(turn) or ""
            )
            turn.say("praise.thanks", reference=ticket.reference)
        elif intent is Intent.SERVICE_ORDER:
            item = turn.parse().first("service_item") if turn.text else None
            if item in turn.site.service_catalogue:
                self._offer_service(turn, item, text)
            else:
                self._show_catalogue(turn, 0, text)
        elif intent is Intent.INQUIRY:
            entry = best_faq(turn, text)
            if entry is not None:
                turn.say_text(entry.answer.get(turn.lang))
            else:
                self.handoff(turn, text, unanswered=True)
        else:
            self.handoff(turn, text)

    def resume(self, turn: Turn) -> None:
        """Continue a request conversation."""
        action = turn.message.action
        text = str(turn.slots.get("text", ""))
        if turn.step == RequestStep.EMERGENCY_LOCATION:
            self._emergency_location(turn)
        elif turn.step == RequestStep.COMPLAINT_ROOM:
            location = self._answer_location(turn)
            if location is None:
                turn.say("complaint.ask_room")
                return
            turn.end_flow()
            self._open_complaint(turn, text, location)
        elif turn.step == RequestStep.SERVICE_PICK:
            if action is not None and action.kind is ActionKind.PAGE:
                self._show_catalogue(turn, int(action.arg or 0), text)
            elif action is not None and action.kind is ActionKind.SERVICE:
                self._offer_service(turn, action.arg, text)
            else:
                item = turn.parse().first("service_item") if turn.text else None
                if item in turn.site.service_catalogue:
                    self._offer_service(turn, item, turn.text)
                else:
                    self._show_catalogue(turn, 0, text)
        elif turn.step == RequestStep.SERVICE_CONFIRM:
            confirmed = (action is not None and action.kind is ActionKind.CONFIRM) or (
                action is None and turn.text and turn.parse().intent.name == Intent.AFFIRM
            )
            if confirmed:
                self._open_order(turn)
            else:
                turn.say("service.confirm_hint")
        else:
            turn.end_flow()

    def reprompt(self, turn: Turn) -> None:
        """Ask the current question again."""
        text = str(turn.slots.get("text", ""))
        if turn.step == RequestStep.EMERGENCY_LOCATION:
            self._ask_emergency_location(turn, str(turn.slots.get("reference", "")))
        elif turn.step == RequestStep.COMPLAINT_ROOM:
            turn.say("complaint.ask_room")
        elif turn.step == RequestStep.SERVICE_CONFIRM:
            self._offer_service(turn, str(turn.slots.get("item", "")), text)
        else:
            self._show_catalogue(turn, 0, text)

    def handoff(self, turn: Turn, text: str, *, unanswered: bool = False) -> None:
        """Open an H ticket: a person answers within the promised time."""
        ticket = open_ticket(turn, TicketType.HUMAN, description=text or turn.t("handoff.no_text"))
        turn.end_flow()
        key = "handoff.unanswered" if unanswered else "handoff.created"
        turn.say(key, reference=ticket.reference, hours=turn.site.promises.handoff_reply_hours)

    # -- emergencies -----------------------------------------------------------------------------------------

    def _emergency(self, turn: Turn, text: str) -> None:
        turn.say("emergency.safety", hotline=turn.site.emergency_hotline)
        location = self._named_place(turn)
        ticket = open_ticket(
            turn,
            TicketType.EMERGENCY,
            description=text,
            location=location or "",
            priority=Priority.URGENT,
        )
        if location:
            turn.say("emergency.created", reference=ticket.reference, location=location)
        else:
            turn.go(self.name, RequestStep.EMERGENCY_LOCATION, reference=ticket.reference)
            self._ask_emergency_location(turn, ticket.reference)

    def _emergency_location(self, turn: Turn) -> None:
        action = turn.message.action
        if action is not None and action.kind is ActionKind.ROOM:
            location = home_label(turn)
        else:
            location = self._answer_location(turn)
        if location is None:
            self._ask_emergency_location(turn, str(turn.slots.get("reference", "")))
            return
        ticket = turn.uow.tickets.get(reference=str(turn.slots.get("reference", "")))
        turn.end_flow()
        if ticket is None or ticket.id is None:
            return
        self._update_location(turn, ticket, location)
        turn.say("emergency.created", reference=ticket.reference, location=location)

    def _ask_emergency_location(self, turn: Turn, reference: str) -> None:
        home = home_label(turn)
        buttons = ((turn.button("repair.button_home", ActionKind.ROOM, room=home),),) if home else ()
        turn.say("emergency.ask_location", reference=reference, buttons=buttons)

    def _update_location(self, turn: Turn, ticket: Ticket, location: str) -> None:
        turn.uow.tickets.save(ticket=replace(ticket, location=location, updated_at=turn.now))
        if ticket.id is not None:
            turn.uow.tickets.append_event(
                event=TicketEvent(
                    id=None,
                    ticket_id=ticket.id,
                    kind=EventKind.NOTE,
                    at=turn.now,
                    actor=f"resident:{turn.resident.id}",
                    data={"location": location},
                )
            )

    # -- complaints ------------------------------------------------------------------------------------------

    def _open_complaint(self, turn: Turn, text: str, location: str | None = None) -> None:
        complaint_class = turn.parse().first("complaint_class") if turn.text else None
        ticket = open_ticket(
            turn,
            TicketType.COMPLAINT,
            description=text,
            location=location or self._location(turn) or "",
            details={"complaint_class": complaint_class} if complaint_class else {},
        )
        turn.say(
            "complaint.created",
            reference=ticket.reference,
            hours=turn.site.promises.complaint_feedback_hours,
        )

    # -- service orders --------------------------------------------------------------------------------------

    def _show_catalogue(self, turn: Turn, page: int, text: str) -> None:
        keys = list(turn.site.service_catalogue)
        pages = max(1, -(-len(keys) // SERVICE_PAGE_SIZE))
        page = min(max(page, 0), pages - 1)
        chunk = keys[page * SERVICE_PAGE_SIZE : (page + 1) * SERVICE_PAGE_SIZE]
        buttons = [
            Button(
                label=turn.site.service_catalogue[key].name.get(turn.lang),
                action=Action(kind=ActionKind.SERVICE, arg=key),
            )
            for key in chunk
        ]
        rows: list[tuple[Button, ...]] = [tuple(buttons[i : i + 2]) for i in range(0, len(buttons), 2)]
        nav: list[Button] = []
        if page > 0:
            nav.append(turn.button("button.previous", ActionKind.PAGE, str(page - 1)))
        if page < pages - 1:
            nav.append(turn.button("button.next", ActionKind.PAGE, str(page + 1)))
        if nav:
            rows.append(tuple(nav))
        turn.go(self.name, RequestStep.SERVICE_PICK, text=text)
        turn.say("service.catalogue", page=page + 1, pages=pages, buttons=tuple(rows))

    def _offer_service(self, turn: Turn, key: str, text: str) -> None:
        item = turn.site.service_catalogue.get(key)
        if item is None:
            self._show_catalogue(turn, 0, text)
            return
        turn.go(self.name, RequestStep.SERVICE_CONFIRM, text=text, item=key)
        turn.say(
            "service.offer",
            name=item.name.get(turn.lang),
            price=item.price.get(turn.lang),
            hours=item.lead_time_hours,
            buttons=(
                (
                    turn.button("button.confirm", ActionKind.CONFIRM),
                    turn.button("button.cancel", ActionKind.CANCEL),
                ),
            ),
        )

    def _open_order(self, turn: Turn) -> None:
        key = str(turn.slots.get("item", ""))
        item = turn.site.service_catalogue[key]
        text = str(turn.slots.get("text", "")) or item.name.get(turn.lang)
        ticket = open_ticket(
            turn,
            TicketType.SERVICE_ORDER,
            description=text,
            location=self._location(turn) or "",
            category=key,
            phone=turn.resident.phone,
            details={"service_item": key},
        )
        turn.end_flow()
        turn.say("service.created", reference=ticket.reference, name=item.name.get(turn.lang))

    # -- where -----------------------------------------------------------------------------------------------

    def _named_place(self, turn: Turn) -> str | None:
        """A room or common area the text itself names (an emergency is not assumed to be at home)."""
        address = room_from_text(turn)
        if address is not None and building_exists(address, turn.site.buildings):
            return address.label(turn.lang)
        area = common_area(turn.text, turn.site.common_area_keywords)
        return turn.t("repair.common_area", area=area) if area else None

    def _location(self, turn: Turn) -> str | None:
        """The place this turn's text names, else the resident's home, else None."""
        address = room_from_text(turn)
        if address is not None and building_exists(address, turn.site.buildings):
            return address.label(turn.lang)
        return home_label(turn)

    def _answer_location(self, turn: Turn) -> str | None:
        """A room or a described place given in answer to "where?"."""
        address = room_from_text(turn)
        if address is not None and building_exists(address, turn.site.buildings):
            return address.label(turn.lang)
        if len(turn.text) >= 2:
            return turn.text
        return None
