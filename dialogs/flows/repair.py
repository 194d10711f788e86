"""Repair reports (报修): understood from free text, missing details asked one at a time, then confirmed.

What the resident already said is never asked again: the first message is read for the room, the category,
a phone and a visit time. The rest is asked in the manual's order — where, what kind, how to reach you,
when to come, a photo if handy — and a summary is confirmed before the ticket (R…) is opened.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from dialogs.domain import TicketType
from dialogs.flows.base import FlowName
from dialogs.flows.places import (
    contact_phone,
    home_label,
    link_household,
    room_from_text,
    shared_location,
)
from dialogs.messages import Action, ActionKind, AttachmentKind, Button
from dialogs.rooms import building_exists, common_area
from dialogs.tickets import open_ticket
from dialogs.turn import Turn

ASAP = "asap"


class RepairStep(StrEnum):
    """The questions of a repair report, in the order they are asked."""

    DESCRIBE = "describe"
    LOCATION = "location"
    CATEGORY = "category"
    PHONE = "phone"
    TIME = "time"
    PHOTO = "photo"
    CONFIRM = "confirm"
    EDIT = "edit"


# The slots each editable answer owns: editing the answer forgets all of them.
SLOTS_OF: dict[RepairStep, tuple[str, ...]] = {
    RepairStep.DESCRIBE: ("description",),
    RepairStep.LOCATION: ("location", "household_id", "common_area"),
    RepairStep.CATEGORY: ("category",),
    RepairStep.PHONE: ("phone",),
    RepairStep.TIME: ("time", "time_note", "time_retry"),
}

EDITABLE: tuple[RepairStep, ...] = (
    RepairStep.DESCRIBE,
    RepairStep.LOCATION,
    RepairStep.CATEGORY,
    RepairStep.PHONE,
    RepairStep.TIME,
)


class RepairFlow:
    """Gathers a repair report and opens an R ticket."""

    name = FlowName.REPAIR

    def start(self, turn: Turn) -> None:
        """Begin with whatever the first message already says."""
        turn.go(self.name, RepairStep.DESCRIBE)
        if turn.text and not turn.text.startswith("/"):
            turn.slots["description"] = turn.text
            self._absorb(turn, first=True)
        self._next(turn)

    def resume(self, turn: Turn) -> None:
        """Take the answer to the current question, then ask the next one."""
        action = turn.message.action
        step = RepairStep(turn.step) if turn.step else RepairStep.DESCRIBE
        if step is RepairStep.CONFIRM:
            self._on_confirm(turn)
            return
        if step is RepairStep.EDIT:
            if action is not None and action.kind is ActionKind.EDIT and action.arg in EDITABLE:
                for slot in SLOTS_OF[RepairStep(action.arg)]:
                    turn.slots.pop(slot, None)
                turn.slots["editing"] = True
                self._ask(turn, RepairStep(action.arg))
            else:
                self._ask(turn, RepairStep.EDIT)
            return
        photos = [a.file_id for a in turn.message.attachments if a.kind is AttachmentKind.PHOTO]
        if photos and step is not RepairStep.PHOTO and not turn.text:
            turn.slots.setdefault("photos", []).extend(photos)  # a photo is welcome whenever it comes
            turn.say("repair.photo_received")
            self.reprompt(turn)
            return
        if self._take(turn, step):
            self._next(turn)

    def reprompt(self, turn: Turn) -> None:
        """Ask the current question again."""
        self._ask(turn, RepairStep(turn.step) if turn.step else RepairStep.DESCRIBE)

    # -- reading answers -------------------------------------------------------------------------------------

    def _absorb(self, turn: Turn, *, first: bool) -> None:
        """Pick up every detail a free-text message carries (room, category, phone, time)."""
        parse = turn.parse()
        slots = turn.slots
        if "location" not in slots:
            address = room_from_text(turn)
            if address is not None and building_exists(address, turn.site.buildings):
                slots["household_id"] = link_household(turn, address)
                slots["location"] = address.label(turn.catalog, turn.lang)
            elif first and (area := common_area(turn.text, turn.site.common_area_keywords)):
                slots["location"] = turn.t("repair.common_area", area=area)
                slots["common_area"] = True
        category = parse.first("repair_category")
        if "category" not in slots and category in turn.site.repair_categories:
            slots["category"] = category
        phone = parse.first("phone")
        if "phone" not in slots and phone:
            slots["phone"] = phone
            if turn.resident.phone is None:
                turn.update_resident(phone=phone)  # the household file keeps the number for next time
        when = parse.first("datetime")
        if "time" not in slots and when:
            parsed = turn.local_time(when)
            if parsed is not None and parsed > turn.now:
                slots["time"] = parsed.isoformat()

    def _take(self, turn: Turn, step: RepairStep) -> bool:
        """Read the answer to `step`; False when it was not understood (the question is asked again)."""
        action = turn.message.action
        slots = turn.slots
        if step is RepairStep.DESCRIBE:
            if not turn.text:
                turn.say("repair.ask_description")
                return False
            slots["description"] = turn.text
            self._absorb(turn, first=True)
            return True
        if step is RepairStep.LOCATION:
            says_yes = action is None and bool(turn.text) and turn.parse().intent.name == "affirm"
            at_home = (action is not None and action.kind is ActionKind.ROOM) or says_yes
            if at_home and turn.resident.household_id is not None:
                slots["household_id"] = turn.resident.household_id
                slots["location"] = home_label(turn) or ""
                return True
            pin = shared_location(turn)
            if pin is not None:
                slots["location"] = pin
                return True
            address = room_from_text(turn)
            if address is not None:
                if not building_exists(address, turn.site.buildings):
                    turn.say("onboarding.unknown_building", building=address.building)
                    return False
                slots["household_id"] = link_household(turn, address)
                slots["location"] = address.label(turn.catalog, turn.lang)
                return True
            if len(turn.text) >= 2:
                slots["location"] = turn.text
                slots["common_area"] = True
                return True
            self._ask(turn, RepairStep.LOCATION)
            return False
        if step is RepairStep.CATEGORY:
            if action is not None and action.kind is ActionKind.CATEGORY:
                if action.arg in turn.site.repair_categories:
                    slots["category"] = action.arg
                    return True
            elif turn.text:
                category = turn.parse().first("repair_category")
                slots["category"] = category if category in turn.site.repair_categories else "other"
                return True
            self._ask(turn, RepairStep.CATEGORY)
            return False
        if step is RepairStep.PHONE:
            phone = contact_phone(turn)
            if phone is None:
                turn.say("onboarding.phone_not_understood", request_contact=True)
                return False
            slots["phone"] = phone
            if turn.resident.phone is None:
                turn.update_resident(phone=phone)
            return True
        if step is RepairStep.TIME:
            return self._take_time(turn)
        if step is RepairStep.PHOTO:
            return self._take_photo(turn)
        return True

    def _take_time(self, turn: Turn) -> bool:
        action = turn.message.action
        if action is not None and action.kind is ActionKind.SKIP:
            turn.slots["time"] = ASAP
            return True
        when = turn.parse().first("datetime") if turn.text else None
        parsed = turn.local_time(when) if when else None
        if parsed is not None:
            if parsed <= turn.now:
                turn.say("repair.time_in_past")
                return False
            turn.slots["time"] = parsed.isoformat()
            return True
        if turn.text and turn.slots.get("time_retry"):
            # Twice not understood: keep the resident's own words for the technician rather than loop.
            turn.slots["time"] = ASAP
            turn.slots["time_note"] = turn.text
            return True
        turn.slots["time_retry"] = True
        turn.say("repair.time_not_understood", buttons=((turn.button("button.asap", ActionKind.SKIP),),))
        return False

    def _take_photo(self, turn: Turn) -> bool:
        photos = [a.file_id for a in turn.message.attachments if a.kind is AttachmentKind.PHOTO]
        if photos:
            turn.slots.setdefault("photos", []).extend(photos)
            turn.say("repair.photo_received")
            return True
        if turn.message.attachments:
            turn.say("common.unsupported_media")
            return False
        turn.slots["photo_done"] = True
        return True

    # -- asking ----------------------------------------------------------------------------------------------

    def _next(self, turn: Turn) -> None:
        """Ask the first missing detail, or show the summary."""
        slots = turn.slots
        if "description" not in slots:
            self._ask(turn, RepairStep.DESCRIBE)
        elif "location" not in slots:
            self._ask(turn, RepairStep.LOCATION)
        elif "category" not in slots:
            self._ask(turn, RepairStep.CATEGORY)
        elif "phone" not in slots and turn.resident.phone is None:
            self._ask(turn, RepairStep.PHONE)
        elif "time" not in slots:
            self._ask(turn, RepairStep.TIME)
        elif not slots.get("photos") and not slots.get("photo_done") and not slots.get("editing"):
            self._ask(turn, RepairStep.PHOTO)
        else:
            self._ask(turn, RepairStep.CONFIRM)

    def _ask(self, turn: Turn, step: RepairStep) -> None:
        turn.go(self.name, step)
        if step is RepairStep.DESCRIBE:
            turn.say("repair.ask_description")
        elif step is RepairStep.LOCATION:
            home = home_label(turn)
            if home:
                buttons = ((turn.button("repair.button_home", ActionKind.ROOM, room=home),),)
                turn.say("repair.ask_location_known", room=home, buttons=buttons)
            else:
                turn.say("repair.ask_location")
        elif step is RepairStep.CATEGORY:
            turn.say("repair.ask_category", buttons=self._category_buttons(turn))
        elif step is RepairStep.PHONE:
            turn.say("repair.ask_phone", request_contact=True)
        elif step is RepairStep.TIME:
            turn.slots.pop("time_retry", None)
            turn.say("repair.ask_time", buttons=((turn.button("button.asap", ActionKind.SKIP),),))
        elif step is RepairStep.PHOTO:
            turn.say("repair.ask_photo", buttons=((turn.button("button.skip_photo", ActionKind.SKIP),),))
        elif step is RepairStep.CONFIRM:
            turn.say_text(
                self._summary(turn),
                buttons=(
                    (
                        turn.button("button.confirm", ActionKind.CONFIRM),
                        turn.button("button.edit", ActionKind.EDIT),
                    ),
                    (turn.button("button.cancel", ActionKind.CANCEL),),
                ),
                remove_keyboard=False,
            )
        elif step is RepairStep.EDIT:
            rows = tuple(
                (turn.button(f"repair.field.{field}", ActionKind.EDIT, field.value),) for field in EDITABLE
            )
            turn.say("repair.ask_edit", buttons=rows)

    def _category_buttons(self, turn: Turn) -> tuple[tuple[Button, ...], ...]:
        buttons = [
            Button(label=category.label.get(turn.lang), action=Action(kind=ActionKind.CATEGORY, arg=key))
            for key, category in turn.site.repair_categories.items()
        ]
        return tuple(tuple(buttons[i : i + 3]) for i in range(0, len(buttons), 3))

    def _time_text(self, turn: Turn, slots: dict[str, Any]) -> str:
        value = slots.get("time", ASAP)
        if value == ASAP:
            note = slots.get("time_note")
            return turn.t("repair.time_asap") + (f" ({note})" if note else "")
        return turn.format_time(datetime.fromisoformat(value))

    def _summary(self, turn: Turn) -> str:
        slots = turn.slots
        category = turn.site.repair_categories.get(slots.get("category", "other"))
        lines = [
            turn.t("repair.summary_title"),
            turn.t("repair.summary_description", value=slots.get("description", "")),
            turn.t("repair.summary_location", value=slots.get("location", "")),
            turn.t("repair.summary_category", value=category.label.get(turn.lang) if category else ""),
            turn.t("repair.summary_phone", value=slots.get("phone") or turn.resident.phone or ""),
            turn.t("repair.summary_time", value=self._time_text(turn, slots)),
            turn.t("repair.summary_photos", count=len(slots.get("photos", []))),
            turn.t("repair.summary_question"),
        ]
        return "\n".join(lines)

    # -- confirming ------------------------------------------------------------------------------------------

    def _on_confirm(self, turn: Turn) -> None:
        action = turn.message.action
        choice: ActionKind | None
        if action is not None:
            choice = action.kind
        elif turn.message.attachments:
            self._take_photo(turn)
            self._ask(turn, RepairStep.CONFIRM)
            return
        else:
            intent = turn.parse().intent.name
            choice = {"affirm": ActionKind.CONFIRM, "deny": ActionKind.EDIT}.get(intent)
        if choice is ActionKind.CONFIRM:
            self._submit(turn)
        elif choice is ActionKind.EDIT:
            self._ask(turn, RepairStep.EDIT)
        else:
            turn.say("repair.confirm_hint")
            self._ask(turn, RepairStep.CONFIRM)

    def _submit(self, turn: Turn) -> None:
        slots = turn.slots
        category_key = slots.get("category", "other")
        category = turn.site.repair_categories.get(category_key)
        when = slots.get("time", ASAP)
        preferred = None if when == ASAP else datetime.fromisoformat(when)
        details = {"time_note": slots["time_note"]} if slots.get("time_note") else {}
        household_id = slots.get("household_id")
        ticket = open_ticket(
            turn,
            TicketType.REPAIR,
            description=slots.get("description", ""),
            location=slots.get("location", ""),
            category=category_key,
            phone=slots.get("phone") or turn.resident.phone,
            preferred_time=preferred,
            photos=tuple(slots.get("photos", [])),
            details=details,
            household_id=household_id,
        )
        if preferred is not None:
            promise = turn.t("repair.promise_booked", time=turn.format_time(preferred))
        elif category is not None and not category.small:
            promise = turn.t("repair.promise_large", days=turn.site.promises.large_repair_days)
        else:
            promise = turn.t("repair.promise_small")
        turn.end_flow()
        turn.say("repair.created", reference=ticket.reference, promise=promise, remove_keyboard=True)
