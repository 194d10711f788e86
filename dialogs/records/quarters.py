"""Calendar quarters in the site's time zone: what "2026Q4" means as a span of UTC instants.

The office thinks in local quarters (an archive for Q4 holds what happened from 1 October 00:00 to
31 December 24:00 in the estate's zone), while storage keeps aware UTC; this module is the one place that
converts between the two.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

_LABEL = re.compile(r"^\s*(\d{4})\s*-?\s*[Qq]\s*([1-4])\s*$")


@dataclass(frozen=True, order=True)
class Quarter:
    """A calendar quarter (1..4) of a year."""

    year: int
    number: int

    def __post_init__(self) -> None:
        if not 1 <= self.number <= 4:
            raise ValueError(f"a quarter is numbered 1 to 4, not {self.number}")

    @classmethod
    def parse(cls, label: str) -> Quarter:
        """Read `2026Q4` (also `2026-Q4`, `2026q4`)."""
        match = _LABEL.match(label)
        if match is None:
            raise ValueError(f"not a quarter: {label!r} (write it like 2026Q4)")
        return cls(int(match.group(1)), int(match.group(2)))

    @classmethod
    def containing(cls, when: datetime, zone: ZoneInfo) -> Quarter:
        """The quarter that `when` falls in, on the site's calendar."""
        local = when.astimezone(zone)
        return cls(local.year, (local.month - 1) // 3 + 1)

    @property
    def label(self) -> str:
        """`2026Q4`: the archive's name and the CLI's spelling."""
        return f"{self.year}Q{self.number}"

    def previous(self) -> Quarter:
        """The quarter before this one."""
        return Quarter(self.year - 1, 4) if self.number == 1 else Quarter(self.year, self.number - 1)

    def next(self) -> Quarter:
        """The quarter after this one."""
        return Quarter(self.year + 1, 1) if self.number == 4 else Quarter(self.year, self.number + 1)

    def start(self, zone: ZoneInfo) -> datetime:
        """The first instant of the quarter (local midnight of its first day), in UTC."""
        return datetime(self.year, 3 * self.number - 2, 1, tzinfo=zone).astimezone(UTC)

    def end(self, zone: ZoneInfo) -> datetime:
        """The first instant after the quarter, in UTC (spans are half-open: start <= t < end)."""
        return self.next().start(zone)
