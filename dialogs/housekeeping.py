"""Housekeeping of the exactly-once intake: forgetting update ids nobody will redeliver.

Telegram keeps an unacknowledged update for at most 24 hours, so after that its id can no longer come back.
The processed-updates table is pruned once an hour (claimed as a schedule mark, so one worker does it) of
ids older than a week: a wide margin that still keeps the table to about a week of traffic.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from dialogs.messages import Outgoing
from dialogs.ports import UnitOfWork

PRUNE_MARK = "prune-processed-updates"
KEEP_UPDATES = timedelta(days=7)


class ProcessedUpdatePruner:
    """A periodic job of the ticker: deletes processed-update records older than `keep`, hourly."""

    name = "prune-updates"

    def __init__(self, keep: timedelta = KEEP_UPDATES) -> None:
        self._keep = keep

    def run(self, uow: UnitOfWork, now: datetime) -> list[Outgoing]:
        """Prune once per clock hour; sends nothing."""
        hour = now.replace(minute=0, second=0, microsecond=0)
        if uow.schedule_marks.claim(name=PRUNE_MARK, due_at=hour):
            uow.processed_updates.prune(before=now - self._keep)
        return []
