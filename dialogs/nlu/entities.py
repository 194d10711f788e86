"""Entity extractors that need no model: rooms and phones by pattern, catalogue items by gazetteer.

Rooms and phone numbers have a fixed written shape, so patterns beat a learned tagger here. Service items,
repair categories and complaint classes are closed sets whose surface forms live in the training data
(synonyms, lookups, annotated spans): the longest known surface wins and the value is the canonical key.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from dialogs.nlu.patterns import PHONE, ROOM, WHITESPACE
from dialogs.nlu.training_data import TrainingData
from dialogs.nlu.types import COMPLAINT_CLASSES, REPAIR_CATEGORIES, Entity, EntityName
from dialogs.phones import normalize_phone

SERVICE_ITEMS: tuple[str, ...] = (
    "courier",
    "water_delivery",
    "car_club",
    "hotel_travel",
    "newspaper",
    "ticket_booking",
    "rental_agency",
    "taxi",
    "flowers_cakes",
    "dry_cleaning",
    "telecom_account",
    "event_venue",
    "glass_install",
    "exhaust_fan_install",
    "ac_install",
    "lamp_install",
    "bathroom_fixture_install",
    "plant_rental",
    "guest_pickup",
    "floor_waxing",
    "fax_typing",
    "circuit_check",
    "curtain_repair",
    "drain_unblocking",
    "meter_service",
    "switch_socket",
    "bulb_replacement",
    "tutor_referral",
    "nanny_referral",
)

CATALOGUE_KEYS: Mapping[str, frozenset[str]] = {
    EntityName.SERVICE_ITEM: frozenset(SERVICE_ITEMS),
    EntityName.REPAIR_CATEGORY: frozenset(REPAIR_CATEGORIES),
    EntityName.COMPLAINT_CLASS: frozenset(COMPLAINT_CLASSES),
}

EXTRACTOR = "frontdesk"


def extract_rooms(text: str, *, skip: Iterable[tuple[int, int]] = ()) -> list[Entity]:
    """Room addresses as written, with the whitespace removed ("3栋 2单元 502" -> "3栋2单元502")."""
    taken = list(skip)
    found: list[Entity] = []
    for match in ROOM.finditer(text):
        start, end = match.span()
        if any(start < b and a < end for a, b in taken):
            continue
        found.append(Entity(EntityName.ROOM, WHITESPACE.sub("", match.group()), start, end, EXTRACTOR))
    return found


def extract_phones(text: str) -> list[Entity]:
    """Valid Chinese phone numbers as digits only ("+86 138-1234-5678" -> "13812345678").

    `phonenumbers` (libphonenumber's data) knows which prefixes and lengths the Chinese numbering plan
    really allows, for mobiles and for landlines with area codes, so an order number or a room such as
    "12345678901" is not taken for a phone; a hand-written regex would either over- or under-match.
    """
    found: list[Entity] = []
    for match in PHONE.finditer(text):
        digits = normalize_phone(match.group())
        if digits is not None:
            found.append(Entity(EntityName.PHONE, digits, match.start(), match.end(), EXTRACTOR))
    return found


@dataclass(frozen=True)
class Gazetteer:
    """Surface form -> canonical key for one catalogue entity, matched longest-first."""

    entity: str
    pattern: re.Pattern[str] | None
    values: Mapping[str, str]

    def extract(self, text: str) -> list[Entity]:
        """Every non-overlapping known surface in `text`, each value once, in text order."""
        if self.pattern is None:
            return []
        found: list[Entity] = []
        seen: set[str] = set()
        for match in self.pattern.finditer(text):
            value = self.values.get(match.group().casefold())
            if value is None or value in seen:
                continue
            seen.add(value)
            found.append(Entity(self.entity, value, match.start(), match.end(), EXTRACTOR))
        return found


def _surface_regex(surface: str) -> str:
    """A regex for one surface; Latin words must not match inside longer words ("cab" in "cabinet")."""
    escaped = re.escape(surface)
    if surface[:1].isascii() and surface[:1].isalnum():
        escaped = r"(?<![a-z0-9])" + escaped
    if surface[-1:].isascii() and surface[-1:].isalnum():
        escaped += r"(?![a-z0-9])"
    return escaped


def build_gazetteer(entity: str, surfaces: Mapping[str, str]) -> Gazetteer:
    """Compile surfaces (already casefolded) into one alternation, longest first so the longest wins."""
    if not surfaces:
        return Gazetteer(entity, None, {})
    ordered = sorted(surfaces, key=lambda s: (-len(s), s))
    pattern = re.compile("|".join(_surface_regex(s) for s in ordered), re.IGNORECASE)
    return Gazetteer(entity, pattern, dict(surfaces))


def catalogue_surfaces(data: TrainingData) -> dict[str, dict[str, str]]:
    """For each catalogue entity, the surface forms the training data teaches and their canonical keys."""
    synonyms = data.synonym_map()
    result: dict[str, dict[str, str]] = {name: {} for name in CATALOGUE_KEYS}

    def add(entity: str, surface: str, value: str) -> None:
        keys = CATALOGUE_KEYS.get(entity)
        canonical = value if keys is not None and value in keys else synonyms.get(value.casefold(), value)
        surface = surface.strip().casefold()
        if keys is not None and canonical in keys and surface:
            result[entity][surface] = canonical

    for synonym in data.synonyms:
        for entity, keys in CATALOGUE_KEYS.items():
            if synonym.value in keys:
                for surface in synonym.examples:
                    add(entity, surface, synonym.value)
    for lookup in data.lookups:
        if lookup.name in CATALOGUE_KEYS:
            for element in lookup.elements:
                add(lookup.name, element, element)
    for example in data.examples:
        for span in example.entities:
            if span.entity in CATALOGUE_KEYS:
                add(span.entity, example.text[span.surface_in], span.value)
    return result


def build_gazetteers(data: TrainingData) -> tuple[Gazetteer, ...]:
    """One gazetteer per catalogue entity (service item, repair category, complaint class)."""
    return tuple(build_gazetteer(entity, surfaces) for entity, surfaces in catalogue_surfaces(data).items())
