"""First contact: link the resident to a household (room number) and a phone.

The manual files every request under a household (一户一档), so the bot asks for the room once and the phone
once (Telegram's "share contact" button fills it), then reuses both for every later request.
"""

from __future__ import annotations

from enum import StrEnum

from dialogs.flows.base import FlowName
from dialogs.phones import normalize_phone
from dialogs.rooms import RoomAddress, address_from_key, building_exists, parse_room
from dialogs.turn import Turn


class OnboardingStep(StrEnum):
    """Where the linking conversation stands."""

    ROOM = "room"
    PHONE = "phone"


def contact_phone(turn: Turn) -> str | None:
    """A phone the resident shared as their own contact card, or typed."""
    contact = turn.message.contact
    if contact is not None:
        if contact.user_id is not None and contact.user_id != turn.message.user_id:
            return None
        return normalize_phone(contact.phone)
    if turn.text:
        found = turn.parse().first("phone")
        return normalize_phone(found) if found else normalize_phone(turn.text)
    return None


def room_from_text(turn: Turn) -> RoomAddress | None:
    """A room the resident wrote in this turn (NLU entity first, the whole text second)."""
    if not turn.text:
        return None
    entity = turn.parse().first("room")
    return parse_room(entity) if entity else parse_room(turn.text)


def link_household(turn: Turn, address: RoomAddress) -> int:
    """File the resident under this household (creating it on first mention); returns its id."""
    household = turn.uow.households.get_or_create(
        room=address.key, building=address.building, unit=address.unit
    )
    if household.id is None:
        raise RuntimeError("household repository returned no id")
    if turn.resident.household_id is None:
        turn.update_resident(household_id=household.id)
    return household.id


def home_label(turn: Turn) -> str | None:
    """The resident's own room as they read it, if linked."""
    if turn.resident.household_id is None:
        return None
    household = turn.uow.households.get(household_id=turn.resident.household_id)
    if household is None:
        return None
    return address_from_key(household.room, household.building, household.unit).label(turn.lang)


class OnboardingFlow:
    """Asks for the room, then the phone."""

    name = FlowName.ONBOARDING

    def start(self, turn: Turn) -> None:
        """Ask for whatever is missing; tell a known resident what the bot can do."""
        if turn.resident.household_id is None:
            turn.go(self.name, OnboardingStep.ROOM)
            turn.say("onboarding.ask_room")
        elif turn.resident.phone is None:
            self._ask_phone(turn)
        else:
            turn.end_flow()

    def resume(self, turn: Turn) -> None:
        """Take the room or the phone from this message."""
        if turn.step == OnboardingStep.ROOM:
            address = room_from_text(turn)
            if address is None:
                turn.say("onboarding.room_not_understood")
                return
            if not building_exists(address, turn.site.buildings):
                turn.say("onboarding.unknown_building", building=address.building)
                return
            link_household(turn, address)
            if turn.resident.phone is None:
                self._ask_phone(turn)
            else:
                self._done(turn)
        elif turn.step == OnboardingStep.PHONE:
            phone = contact_phone(turn)
            if phone is None:
                turn.say("onboarding.phone_not_understood", request_contact=True)
                return
            turn.update_resident(phone=phone)
            self._done(turn)

    def reprompt(self, turn: Turn) -> None:
        """Ask again for the room or the phone."""
        if turn.step == OnboardingStep.PHONE:
            self._ask_phone(turn)
        else:
            turn.say("onboarding.ask_room")

    def _ask_phone(self, turn: Turn) -> None:
        turn.go(self.name, OnboardingStep.PHONE)
        turn.say("onboarding.ask_phone", request_contact=True)

    def _done(self, turn: Turn) -> None:
        room = home_label(turn) or ""
        turn.end_flow()
        turn.say("onboarding.done", room=room, phone=turn.resident.phone or "", remove_keyboard=True)
        turn.say("help.what_i_do")
