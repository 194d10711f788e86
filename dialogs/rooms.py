"""Room numbers: split what a resident wrote into building / unit / room and check it against the site.

Residents write rooms many ways ("3栋2单元502", "B座1203", "12-3-401", "7幢602室",
"Building 5 unit 1 room 301").
The NLU finds the span; this module only structures it so that one household (一户一档) has one key however
its number was written.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from dialogs.i18n import Catalog

_PATTERNS: tuple[re.Pattern[str], ...] = (
    # 3栋2单元502 / 5号楼1单元301 / B座1203 / 7幢602室 / 3栋502
    re.compile(
        r"(?P<building>[A-Za-z]|\d{1,3})(?:栋|幢|号楼|座|号|楼|#)"
        r"(?:(?P<unit>\d{1,2})(?:单元|门))?-?(?P<room>\d{3,4})(?:室|号|房)?"
    ),
    # 12-3-401 / 3-502 / B-1203
    re.compile(r"(?P<building>[A-Za-z]|\d{1,3})-(?:(?P<unit>\d{1,2})-)?(?P<room>\d{3,4})"),
    # building 5 unit 1 room 301 / block B 1203 / bldg 3 apt 502
    re.compile(
        r"(?:building|bldg|block|tower)(?P<building>[A-Za-z]|\d{1,3}),?"
        r"(?:unit(?P<unit>\d{1,2}),?)?(?:room|apt|flat|no\.?|#)?(?P<room>\d{3,4})",
        re.IGNORECASE,
    ),
    # room 502 building 3
    re.compile(
        r"(?:room|apt|flat)(?P<room>\d{3,4}),?(?:unit(?P<unit>\d{1,2}),?)?"
        r"(?:building|bldg|block|tower)(?P<building>[A-Za-z]|\d{1,3})",
        re.IGNORECASE,
    ),
)


@dataclass(frozen=True)
class RoomAddress:
    """A structured room; `key` is the canonical household key such as `3-2-502`."""

    building: str
    unit: str
    room: str

    @property
    def key(self) -> str:
        """One spelling per household, whatever the resident typed."""
        parts = [self.building, self.unit, self.room] if self.unit else [self.building, self.room]
        return "-".join(parts)

    def label(self, catalog: Catalog, lang: str) -> str:
        """How the room is shown back to the resident (wording from the message catalogue)."""
        key = "room.with_unit" if self.unit else "room.without_unit"
        return catalog.t(lang, key, building=self.building, unit=self.unit, room=self.room)


def _squash(text: str) -> str:
    text = unicodedata.normalize("NFKC", text)
    return re.sub(r"\s+", "", text)


def parse_room(text: str) -> RoomAddress | None:
    """Find a room in `text`; None when there is none."""
    squashed = _squash(text)
    for pattern in _PATTERNS:
        match = pattern.search(squashed)
        if match:
            return RoomAddress(
                building=match.group("building").upper(),
                unit=(match.group("unit") or "").lstrip("0"),
                room=match.group("room"),
            )
    return None


def building_exists(address: RoomAddress, buildings: tuple[str, ...]) -> bool:
    """Whether the site has this building (a site with no list accepts any)."""
    return not buildings or address.building in buildings


def address_from_key(key: str, building: str, unit: str) -> RoomAddress:
    """Rebuild the structured room of a stored household (its key ends with the room number)."""
    return RoomAddress(building=building, unit=unit, room=key.rsplit("-", 1)[-1])


def common_area(text: str, keywords: tuple[str, ...]) -> str | None:
    """The first common-area word (楼道, lobby …) the text mentions: such places need no room number."""
    lowered = text.lower()
    for keyword in keywords:
        if keyword.lower() in lowered:
            return keyword
    return None


_BUILDING = re.compile(
    r"(?P<zh>[A-Za-z]|\d{1,3})(?:栋|幢|号楼|座)|(?:building|bldg|block|tower)\s*(?P<en>[A-Za-z]|\d{1,3})\b",
    re.IGNORECASE,
)


def building_in(text: str) -> str | None:
    """A building the text names ("3栋", "B座", "building 5"), for places that are not rooms."""
    match = _BUILDING.search(unicodedata.normalize("NFKC", text))
    if match is None:
        return None
    return (match.group("zh") or match.group("en")).upper()
