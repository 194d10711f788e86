"""Cheap regular expressions shared by the entity extractors and the classifier's text normaliser.

Rooms and phone numbers are open-ended (any building, any number), so a classifier cannot learn them
as words; the normaliser masks them with one placeholder each so that "3栋2单元502厨房漏水" and
"7幢602室厨房漏水" look the same to the model, and the extractors read the real values.
"""

from __future__ import annotations

import re

_CN_NUM = "0-9一二三四五六七八九十两"
_BUILDING = rf"(?:[A-Za-z]|[{_CN_NUM}]+)\s*(?:号楼|栋|幢|座|号|区)"

# Written forms of an address inside the estate, longest alternatives first.
ROOM = re.compile(
    "|".join(
        (
            # 3栋2单元502, 5号楼1单元301, B座1203, 7幢602室, 3号楼502房
            rf"{_BUILDING}\s*(?:[{_CN_NUM}]+\s*单元)?\s*(?:[{_CN_NUM}]+\s*[楼层])?\s*\d{{2,5}}(?:\s*(?:室|房|号))?",
            # 12-3-401 (building-unit-room)
            r"(?<![\d-])\d{1,3}-\d{1,2}-\d{3,4}(?![\d-])",
            # 502室 on its own
            r"(?<!\d)\d{3,5}\s*(?:室|房间|房)",
            # building 3 unit 2 room 502, room 502, apt 1203, flat 12B
            r"(?i:\b(?:(?:building|bldg|block|tower)\s*[a-z0-9]{1,3}\s*,?\s*)?(?:unit\s*\d{1,2}\s*,?\s*)?"
            r"(?:room|rm|apt|apartment|flat|suite)\s*#?\s*\d{2,5}[a-z]?\b)",
        )
    )
)

# Candidate phone numbers; `phonenumbers` then decides which are real.
PHONE = re.compile(
    r"(?<!\d)(?:(?:\+|00)?86[\s-]?)?(?:1[3-9]\d(?:[\s-]?\d{4}){2}|0\d{2,3}[\s-]?\d{7,8})(?!\d)"
)

WHITESPACE = re.compile(r"\s+")
