"""Where a request is: the resident's home, a room they name, or a common area.

Every flow needs the same answers to "where?", so they live here once: a room written in the message (NLU
entity first, the whole text second), the household it belongs to (一户一档), a common area named by one of
the site's words, or the resident's own home.
"""

from __future__ import annotations

from dialogs.phones import normalize_phone
from dialogs.rooms import RoomAddress, address_from_key, building_exists, common_area, parse_room
from dialogs.turn import Turn


def room_from_text(turn: Turn) -> RoomAddress | None:
    """A room the resident wrote in this turn."""
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
    return address_from_key(household.room, household.building, household.unit).label(turn.catalog, turn.lang)


def named_place(turn: Turn) -> str | None:
    """A valid room or a common area the text itself names (no assumption that it is at home).

    A resident's first room mention files them under that household, as the repair flow does.
    """
    address = room_from_text(turn)
    if address is not None and building_exists(address, turn.site.buildings):
        link_household(turn, address)
        return address.label(turn.catalog, turn.lang)
    area = common_area(turn.text, turn.site.common_area_keywords)
    return turn.t("repair.common_area", area=area) if area else None


def place_or_home(turn: Turn) -> str | None:
    """The place the text names, else the resident's home, else None."""
    return named_place(turn) or home_label(turn)


def shared_location(turn: Turn) -> str | None:
    """A map pin the resident shared, as staff read it."""
    pin = turn.message.location
    if pin is None:
        return None
    return turn.t("place.map", latitude=f"{pin.latitude:.5f}", longitude=f"{pin.longitude:.5f}")


def answered_place(turn: Turn) -> str | None:
    """A room, a map pin or a described place given in answer to "where?" (None when nothing usable)."""
    pin = shared_location(turn)
    if pin is not None:
        return pin
    address = room_from_text(turn)
    if address is not None and building_exists(address, turn.site.buildings):
        return address.label(turn.catalog, turn.lang)
    if len(turn.text) >= 2:
        return turn.text
    return None


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
