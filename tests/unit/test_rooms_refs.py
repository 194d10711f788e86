"""Room spellings map to one household key; references have the documented shape."""

from __future__ import annotations

from datetime import date

import pytest

from dialogs.domain import TicketType, make_reference
from dialogs.rooms import parse_room


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("3栋2单元502", "3-2-502"),
        ("我住 3 栋 2 单元 502 室", "3-2-502"),
        ("12-3-401", "12-3-401"),
        ("B座1203", "B-1203"),
        ("7幢602室", "7-602"),
        ("5号楼1单元301", "5-1-301"),
        ("Building 5, unit 1, room 301", "5-1-301"),
        ("room 502 building 3", "3-502"),
    ],
)
def test_room_spellings(text: str, key: str) -> None:
    address = parse_room(text)
    assert address is not None and address.key == key


def test_no_room() -> None:
    assert parse_room("厨房漏水") is None


def test_reference_shape() -> None:
    assert make_reference(TicketType.REPAIR, date(2026, 11, 27), 1) == "R2611270001"
    with pytest.raises(ValueError):
        make_reference(TicketType.REPAIR, date(2026, 11, 27), 10000)
