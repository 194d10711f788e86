"""Courtesy-service orders (便民服务): from free text ("帮我订两桶水") or from the paged catalogue, the
resident picks a time slot, sees the price and confirms; an O ticket goes to the queue that fulfils it.

Slots start after the item's lead time, inside office hours, so the bot never offers a time the center
cannot keep (the manual's 唱诺制: promise only what is kept).
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from enum import StrEnum

from dialogs.domain import TicketType
from dialogs.flows.base import FlowName
from dialogs.flows.places import place_or_home
from dialogs.messages import Action, ActionKind, Button
from dialogs.nlu.types import Intent
from dialogs.site import SiteConfig
from dialogs.tickets import open_ticket
from dialogs.turn import Turn

PAGE_SIZE = 8
SLOT_STARTS: tuple[time, ...] = (time(9, 0), time(14, 0))
SLOTS_OFFERED = 4
ASAP = "asap"
SLOT_FORMAT = "%Y%m%d%H%M"  # compact: callback data is small and may not contain ":"


class ServiceStep(StrEnum):
    """The steps of an order."""

    PICK = "pick"
    SLOT = "slot"
    CONFIRM = "confirm"


def offered_slots(site: SiteConfig, now: datetime, lead_time_hours: int) -> list[datetime]:
    """The next few half-day slots at or after the lead time, within office hours and working days."""
    local = now.astimezone(site.zone)
    earliest = local + timedelta(hours=lead_time_hours)
    slots: list[datetime] = []
    day = earliest.date()
    while len(slots) < SLOTS_OFFERED and day <= earliest.date() + timedelta(days=14):
        if day.isoweekday() in site.office_hours.weekdays:
            for start in SLOT_STARTS:
                slot = datetime.combine(day, start, tzinfo=site.zone)
                within = site.office_hours.start <= start < site.office_hours.end
                if slot >= earliest and within and len(slots) < SLOTS_OFFERED:
                    slots.append(slot)
        day += timedelta(days=1)
    return slots


class ServiceOrderFlow:
    """Pick a service, a time, confirm the price."""

    name = FlowName.SERVICE_ORDER

    def start(self, turn: Turn, text: str) -> None:
        """Offer the named service, or the catalogue when none was named."""
        place = place_or_home(turn)
        item = turn.parse().first("service_item") if turn.text else None
        if item in turn.site.service_catalogue:
            self._choose(turn, item, text)
        else:
            self._catalogue(turn, 0, text)
        if place:
            turn.slots["place"] = place

    def resume(self, turn: Turn) -> None:
        """Continue the order at its step."""
        action = turn.message.action
        text = str(turn.slots.get("text", ""))
        if turn.step == ServiceStep.PICK:
            if action is not None and action.kind is ActionKind.PAGE:
                self._catalogue(turn, int(action.arg) if action.arg.isdigit() else 0, text)
            elif action is not None and action.kind is ActionKind.SERVICE:
                self._choose(turn, action.arg, text)
            else:
                item = turn.parse().first("service_item") if turn.text else None
                if item in turn.site.service_catalogue:
                    self._choose(turn, item, turn.text)
                else:
                    self._catalogue(turn, 0, text)
        elif turn.step == ServiceStep.SLOT:
            self._take_slot(turn)
        elif turn.step == ServiceStep.CONFIRM:
            confirmed = (action is not None and action.kind is ActionKind.CONFIRM) or (
                action is None and bool(turn.text) and turn.parse().intent.name == Intent.AFFIRM
            )
            if confirmed:
                self._open(turn)
            else:
                turn.say("service.confirm_hint")

    def reprompt(self, turn: Turn) -> None:
        """Show the current step again."""
        text = str(turn.slots.get("text", ""))
        if turn.step == ServiceStep.SLOT:
            self._ask_slot(turn)
        elif turn.step == ServiceStep.CONFIRM:
            self._ask_confirm(turn)
        else:
            self._catalogue(turn, 0, text)

    # -- steps -----------------------------------------------------------------------------------------------

    def _catalogue(self, turn: Turn, page: int, text: str) -> None:
        keys = list(turn.site.service_catalogue)
        pages = max(1, -(-len(keys) // PAGE_SIZE))
        page = min(max(page, 0), pages - 1)
        buttons = [
            Button(
                label=turn.site.service_catalogue[key].name.get(turn.lang),
                action=Action(kind=ActionKind.SERVICE, arg=key),
            )
            for key in keys[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]
        ]
        rows: list[tuple[Button, ...]] = [tuple(buttons[i : i + 2]) for i in range(0, len(buttons), 2)]
        nav: list[Button] = []
        if page > 0:
            nav.append(turn.button("button.previous", ActionKind.PAGE, str(page - 1)))
        if page < pages - 1:
            nav.append(turn.button("button.next", ActionKind.PAGE, str(page + 1)))
        if nav:
            rows.append(tuple(nav))
        turn.go(self.name, ServiceStep.PICK, text=text)
        turn.say("service.catalogue", page=page + 1, pages=pages, buttons=tuple(rows))

    def _choose(self, turn: Turn, key: str, text: str) -> None:
        if key not in turn.site.service_catalogue:
            self._catalogue(turn, 0, text)
            return
        turn.go(self.name, ServiceStep.SLOT, text=text, item=key)
        when = turn.parse().first("datetime") if turn.text else None
        if when:
            parsed = turn.local_time(when)
            if parsed is not None and parsed > turn.now:
                turn.slots["time"] = parsed.isoformat()
                self._ask_confirm(turn)
                return
        self._ask_slot(turn)

    def _ask_slot(self, turn: Turn) -> None:
        item = turn.site.service_catalogue[str(turn.slots["item"])]
        slots = offered_slots(turn.site, turn.now, item.lead_time_hours)
        buttons = [
            Button(
                label=turn.format_time(slot), action=Action(kind=ActionKind.SLOT, arg=f"{slot:{SLOT_FORMAT}}")
            )
            for slot in slots
        ]
        rows = [tuple(buttons[i : i + 2]) for i in range(0, len(buttons), 2)]
        rows.append((turn.button("button.asap", ActionKind.SLOT, ASAP),))
        turn.go(self.name, ServiceStep.SLOT)
        turn.say("service.ask_slot", name=item.name.get(turn.lang), buttons=tuple(rows))

    def _take_slot(self, turn: Turn) -> None:
        action = turn.message.action
        if action is not None and action.kind is ActionKind.SLOT:
            if action.arg == ASAP:
                turn.slots["time"] = ASAP
            else:
                item = turn.site.service_catalogue[str(turn.slots["item"])]
                offered = {
                    f"{s:{SLOT_FORMAT}}": s for s in offered_slots(turn.site, turn.now, item.lead_time_hours)
                }
                slot = offered.get(action.arg)
                if slot is None:  # an old or forged button: offer today's slots again
                    turn.say("service.slot_not_understood")
                    self._ask_slot(turn)
                    return
                turn.slots["time"] = slot.isoformat()
            self._ask_confirm(turn)
            return
        when = turn.parse().first("datetime") if turn.text else None
        parsed = turn.local_time(when) if when else None
        if parsed is None:
            turn.say("service.slot_not_understood")
            self._ask_slot(turn)
        elif parsed <= turn.now:
            turn.say("repair.time_in_past")
        else:
            turn.slots["time"] = parsed.isoformat()
            self._ask_confirm(turn)

    def _ask_confirm(self, turn: Turn) -> None:
        item = turn.site.service_catalogue[str(turn.slots["item"])]
        turn.go(self.name, ServiceStep.CONFIRM)
        turn.say(
            "service.offer",
            name=item.name.get(turn.lang),
            price=item.price.get(turn.lang),
            time=self._time_text(turn),
            buttons=(
                (
                    turn.button("button.confirm", ActionKind.CONFIRM),
                    turn.button("button.cancel", ActionKind.CANCEL),
                ),
            ),
        )

    def _time_text(self, turn: Turn) -> str:
        value = str(turn.slots.get("time", ASAP))
        return (
            turn.t("repair.time_asap") if value == ASAP else turn.format_time(datetime.fromisoformat(value))
        )

    def _open(self, turn: Turn) -> None:
        key = str(turn.slots.get("item", ""))
        item = turn.site.service_catalogue[key]
        value = str(turn.slots.get("time", ASAP))
        preferred = None if value == ASAP else datetime.fromisoformat(value)
        ticket = open_ticket(
            turn,
            TicketType.SERVICE_ORDER,
            description=str(turn.slots.get("text", "")) or item.name.get(turn.lang),
            location=str(turn.slots.get("place") or place_or_home(turn) or ""),
            category=key,
            phone=turn.resident.phone,
            preferred_time=preferred,
            details={"service_item": key, "price": item.price.get(turn.lang)},
        )
        time_text = self._time_text(turn)
        turn.end_flow()
        turn.say("service.created", reference=ticket.reference, name=item.name.get(turn.lang), time=time_text)
