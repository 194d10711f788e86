"""Emergencies (急修): the safety instruction and the hotline first, an urgent E ticket at once, and only then
the one question that matters — where — if the message did not say.

Nothing is confirmed and nothing else is asked: every second counts. The hazard (gas, fire, flooding, a person
trapped in a lift, someone hurt, live wires …) is read by the same high-recall rules that keep the NLU from
missing an emergency, so the instruction fits the danger whichever NLU backend is in use.
"""

from __future__ import annotations

from dataclasses import replace
from enum import StrEnum

from dialogs.domain import EventKind, Priority, TicketType
from dialogs.events import record, resident_actor
from dialogs.flows.base import FlowName
from dialogs.flows.places import answered_place, home_label, link_household, room_from_text
from dialogs.messages import ActionKind
from dialogs.nlu.emergency import check_emergency
from dialogs.rooms import building_exists, building_in, common_area
from dialogs.staffdesk import StaffDesk
from dialogs.tickets import open_ticket
from dialogs.turn import Turn

HAZARDS: frozenset[str] = frozenset(
    {"fire", "gas", "flood", "trapped", "injury", "electrical", "security", "collapse"}
)


class EmergencyStep(StrEnum):
    """The only question an emergency may be asked."""

    LOCATION = "location"


def hazard_of(text: str) -> str:
    """The kind of danger, for the matching safety instruction ("urgent" when unclear)."""
    rule = check_emergency(text).rule
    return rule if rule in HAZARDS else "urgent"


class EmergencyFlow:
    """Opens an E ticket immediately and asks only for the place when it is unknown."""

    name = FlowName.EMERGENCY

    def start(self, turn: Turn, text: str) -> None:
        """Answer with the safety instruction, open the ticket, ask where if needed."""
        hazard = hazard_of(text)
        turn.say(f"emergency.safety.{hazard}", hotline=turn.site.emergency_hotline)
        location = self._place(turn)
        ticket = open_ticket(
            turn,
            TicketType.EMERGENCY,
            description=text,
            location=location or "",
            priority=Priority.URGENT,
            details={"hazard": hazard},
        )
        if location:
            turn.say("emergency.created", reference=ticket.reference, location=location)
        else:
            turn.go(self.name, EmergencyStep.LOCATION, reference=ticket.reference)
            self.reprompt(turn)

    def resume(self, turn: Turn) -> None:
        """Take the place and put it on the ticket."""
        action = turn.message.action
        if action is not None and action.kind is ActionKind.ROOM:
            location = home_label(turn)
        else:
            location = answered_place(turn)
        if location is None:
            self.reprompt(turn)
            return
        reference = str(turn.slots.get("reference", ""))
        turn.end_flow()
        ticket = turn.uow.tickets.get(reference=reference)
        if ticket is None or ticket.id is None:
            return
        ticket = turn.uow.tickets.save(ticket=replace(ticket, location=location, updated_at=turn.now))
        record(turn, ticket, EventKind.NOTE, resident_actor(turn), location=location)
        turn.say("emergency.created", reference=ticket.reference, location=location)
        StaffDesk().publish(turn, ticket)

    def _place(self, turn: Turn) -> str | None:
        """A room, or a common area with its building: "the lift" alone does not say which (the
        resident's own building is assumed when none is named)."""
        address = room_from_text(turn)
        if address is not None and building_exists(address, turn.site.buildings):
            link_household(turn, address)
            return address.label(turn.catalog, turn.lang)
        area = common_area(turn.text, turn.site.common_area_keywords)
        building = building_in(turn.text) or self._home_building(turn)
        if area and building:
            return turn.t("emergency.place", building=building, area=area)
        return None

    def _home_building(self, turn: Turn) -> str | None:
        if turn.resident.household_id is None:
            return None
        household = turn.uow.households.get(household_id=turn.resident.household_id)
        return household.building if household is not None and household.building else None

    def reprompt(self, turn: Turn) -> None:
        """Ask where, offering the resident's home as one tap."""
        home = home_label(turn)
        buttons = ((turn.button("repair.button_home", ActionKind.ROOM, room=home),),) if home else ()
        turn.say("emergency.ask_location", reference=turn.slots.get("reference", ""), buttons=buttons)
