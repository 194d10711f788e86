"""One scheduler tick: whatever has fallen due is turned into outgoing messages.

APScheduler only calls `tick` every few seconds; it stores nothing. What is due is computed from the
database (ticket events, schedule marks, due rows), so a restart loses nothing and several workers may tick
at once. The tick runs a list of periodic jobs (promises, follow-ups, surveys, reports …); each job runs in
a transaction of its own, together with the outgoing messages it causes, so one failing job neither blocks
the others nor leaves half its work behind.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from dialogs.clock import Clock
from dialogs.messages import Outgoing
from dialogs.ports import UnitOfWork, UnitOfWorkFactory

log = logging.getLogger(__name__)


class PeriodicJob(Protocol):
    """Work the ticker runs on every tick; it claims what it does, so two workers never both do it."""

    @property
    def name(self) -> str:
        """For logs."""
        ...

    def run(self, uow: UnitOfWork, now: datetime) -> list[Outgoing]:
        """Do what is due at `now` in `uow` (not committed here); return the messages to send."""
        ...


class Ticker:
    """Runs the periodic jobs."""

    def __init__(self, *, uow_factory: UnitOfWorkFactory, clock: Clock, jobs: Sequence[PeriodicJob]) -> None:
        self._uow_factory = uow_factory
        self._clock = clock
        self._jobs = tuple(jobs)

    def tick(self) -> int:
        """Run every job once; returns how many messages were queued."""
        queued = 0
        for job in self._jobs:
            try:
                queued += self._run(job)
            except Exception:
                log.exception("periodic job failed; the next tick retries", extra={"job": job.name})
        return queued

    def _run(self, job: PeriodicJob) -> int:
        with self._uow_factory() as uow:
            now = self._clock.now()
            messages = job.run(uow, now)
            uow.outbox.enqueue_many(messages=messages, now=now)  # one statement: a job may queue thousands
            uow.commit()
        if messages:
            log.info("tick queued messages", extra={"job": job.name, "count": len(messages)})
        return len(messages)
