"""Entity extractors that need no model: rooms and phones by pattern, catalogue items by gazetteer.

Rooms and phone numbers have a fixed written shape, so patterns beat a learned tagger here. Service items,
repair categories and complaint classes are closed sets whose surface forms live in the training data
(synonyms, lookups, annotated spans): the longest known surface wins and the value is the canonical key.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

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


_LATIN = r"[a-z0-9]"
_END = object()  # marks, in the trie, that a surface ends at this node


def _is_latin(char: str) -> bool:
    return char.isascii() and char.isalnum()


def _trie_regex(node: dict[object, Any], *, root: bool = False) -> str:
    """The trie below `node` as a regex: at each node the longer continuations are tried before the
    surface that ends there, so the longest surface wins (only one branch can match a given text, as the
    surfaces are casefolded and the branches differ in their next character). A Latin surface must not
    start or end inside a longer word ("cab" in "cabinet")."""
    branches = []
    for char in sorted(key for key in node if isinstance(key, str)):
        start = f"(?<!{_LATIN})" if root and _is_latin(char) else ""
        branches.append(start + re.escape(char) + _trie_regex(node[char]))
    if _END in node:
        branches.append(f"(?!{_LATIN})" if _is_latin(node[_END][-1]) else "")
    if len(branches) == 1:
        return branches[0]
    return "(?:" + "|".join(branches) + ")"


def build_gazetteer(entity: str, surfaces: Mapping[str, str]) -> Gazetteer:
    """Compile surfaces (already casefolded) into one regex, shaped as a trie of their characters.

    The same matches as one alternation of the surfaces, longest first, at about a fifth of the cost: an
    alternation makes the regex engine try every surface at every position of the message (~45 µs a
    message for 528 service items), a trie only the surfaces that share what has matched so far.
    """
    if not surfaces:
        return Gazetteer(entity, None, {})
    trie: dict[object, Any] = {}
    for surface in surfaces:
        node = trie
        for char in surface:
            node = node.setdefault(char, {})
        node[_END] = surface
    return Gazetteer(entity, re.compile(_trie_regex(trie, root=True), re.IGNORECASE), dict(surfaces))


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
