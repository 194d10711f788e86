"""One scheduler tick: whatever has fallen due is turned into outgoing messages, in one transaction.

APScheduler only calls `tick` every few seconds; it stores nothing. What is due is computed from the
database (ticket events, schedule marks), so a restart loses nothing and several workers may tick at once:
escalations are recorded as ticket events in the same transaction as their messages, and each daily digest
is claimed by exactly one worker.
"""

from __future__ import annotations

import logging

from dialogs.clock import Clock
from dialogs.escalation import DIGEST_MARK, PromiseKeeper
from dialogs.ports import UnitOfWorkFactory

log = logging.getLogger(__name__)


class Ticker:
    """Runs the periodic checks."""

    def __init__(self, *, uow_factory: UnitOfWorkFactory, clock: Clock, keeper: PromiseKeeper) -> None:
        self._uow_factory = uow_factory
        self._clock = clock
        self._keeper = keeper

    def tick(self) -> int:
        """Check promises (and send the daily digest when due); returns how many messages were queued."""
        with self._uow_factory() as uow:
            now = self._clock.now()
            messages = self._keeper.check(uow, now)
            if uow.schedule_marks.claim(name=DIGEST_MARK, due_at=self._keeper.next_digest_at(now)):
                messages += self._keeper.digest(uow, now)
            for message in messages:
                uow.outbox.enqueue(message=message, now=now)
            uow.commit()
        if messages:
            log.info("tick queued messages", extra={"count": len(messages)})
        return len(messages)
