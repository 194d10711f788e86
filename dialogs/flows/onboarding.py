"""First contact: link the resident to a household (room number) and a phone.

The manual files every request under a household (一户一档), so the bot asks for the room once and the phone
once (Telegram's "share contact" button fills it), then reuses both for every later request.
"""

from __future__ import annotations

from enum import StrEnum

from dialogs.flows.base import FlowName
from dialogs.flows.places import contact_phone, home_label, link_household, room_from_text
from dialogs.rooms import building_exists
from dialogs.turn import Turn


class OnboardingStep(StrEnum):
    """Where the linking conversation stands."""

    ROOM = "room"
    PHONE = "phone"


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
