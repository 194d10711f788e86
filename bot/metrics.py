"""Prometheus metrics: what an operator watches to know the bot keeps up.

Counters and histograms are updated where the work happens (updates, their latency, NLU time). The backlog
figures (outbox depth, follow-ups due, promises at risk) are read from the database when Prometheus
scrapes, by a collector, so every worker reports the same shared truth and nothing has to keep them in
step. Each `Metrics` has its own registry: several apps in one test process do not collide, and `/metrics`
shows exactly this process's series.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator, Sequence
from datetime import datetime

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import func
from sqlalchemy.engine import Engine as SqlEngine
from sqlmodel import Session, col, select

from dialogs.clock import Clock
from dialogs.escalation import open_with_history
from dialogs.followup.records import FollowUpStatus
from dialogs.nlu.types import NluBackend, ParseResult
from dialogs.ports import UnitOfWorkFactory
from dialogs.site import SiteConfig
from dialogs.sla import PromiseStatus, assess
from storage.tables import FollowUpRow, OutboxRow, OutboxStatus

__all__ = ["BacklogCollector", "Metrics", "TimedNlu"]

log = logging.getLogger(__name__)

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
_LATENCY_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


class Metrics:
    """The process's metrics and the registry `/metrics` renders."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.updates = Counter(
            "frontdesk_updates",
            "Channel updates received, by outcome (handled, duplicate, failed, unauthorized, invalid).",
            ["outcome"],
            registry=self.registry,
        )
        self.update_seconds = Histogram(
            "frontdesk_update_seconds",
            "Time from receiving an update to its effects being committed.",
            buckets=_LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.nlu_seconds = Histogram(
            "frontdesk_nlu_seconds",
            "Time the NLU took to read one message.",
            buckets=_LATENCY_BUCKETS,
            registry=self.registry,
        )

    def watch_backlog(self, collector: BacklogCollector) -> None:
        """Report the shared backlog figures on every scrape."""
        self.registry.register(collector)

    def render(self) -> bytes:
        """The exposition text (blocking: the backlog collector queries the database)."""
        return generate_latest(self.registry)


class TimedNlu:
    """An `NluBackend` that records each parse's duration in a histogram."""

    def __init__(self, inner: NluBackend, histogram: Histogram) -> None:
        self._inner = inner
        self._histogram = histogram

    def parse(self, text: str, *, now: datetime) -> ParseResult:
        """Parse with the wrapped backend, timing it."""
        return self.parse_many([text], now=now)[0]

    def parse_many(self, texts: Sequence[str], *, now: datetime) -> list[ParseResult]:
        """Parse together with the wrapped backend; each text is counted with its share of the time."""
        started = time.perf_counter()
        try:
            return self._inner.parse_many(texts, now=now)
        finally:
            share = (time.perf_counter() - started) / max(1, len(texts))
            for _ in texts:
                self._histogram.observe(share)


class BacklogCollector(Collector):
    """Gauges read from the shared database at scrape time; a failed read leaves the series out."""

    def __init__(
        self,
        *,
        db: SqlEngine,
        uow_factory: UnitOfWorkFactory,
        site: SiteConfig,
        clock: Clock,
    ) -> None:
        self._db = db
        self._uow_factory = uow_factory
        self._site = site
        self._clock = clock

    def collect(self) -> Iterator[GaugeMetricFamily]:
        """Outbox depth by status, follow-ups due, promises at risk or breached."""
        now = self._clock.now()
        try:
            with Session(self._db) as session:
                depth = GaugeMetricFamily(
                    "frontdesk_outbox_depth",
                    "Outgoing messages not yet delivered, by status.",
                    labels=["status"],
                )
                counts = dict(
                    session.exec(
                        select(col(OutboxRow.status), func.count())
                        .where(col(OutboxRow.status).in_([OutboxStatus.PENDING, OutboxStatus.SENDING]))
                        .group_by(col(OutboxRow.status))
                    ).all()
                )
                for status in (OutboxStatus.PENDING, OutboxStatus.SENDING):
                    depth.add_metric([status], float(counts.get(status, 0)))
                yield depth
                due = GaugeMetricFamily(
                    "frontdesk_followups_due",
                    "Callback follow-ups (回访) whose time has come, not yet asked.",
                )
                due.add_metric(
                    [],
                    float(
                        session.exec(
                            select(func.count())
                            .select_from(FollowUpRow)
                            .where(
                                col(FollowUpRow.status) == FollowUpStatus.SCHEDULED,
                                col(FollowUpRow.due_at) <= now,
                            )
                        ).one()
                    ),
                )
                yield due
            yield self._promises(now)
        except Exception as error:  # a scrape must not fail because the database is away
            log.warning("backlog metrics unavailable: %s", type(error).__name__)

    def _promises(self, now: datetime) -> GaugeMetricFamily:
        family = GaugeMetricFamily(
            "frontdesk_promises", "Promises of open tickets by state (at_risk, breached).", labels=["state"]
        )
        counts = {PromiseStatus.AT_RISK: 0, PromiseStatus.BREACHED: 0}
        with self._uow_factory() as uow:
            for ticket, events in open_with_history(uow):
                for state in assess(ticket, events, self._site, now, at_risk=self._site.at_risk_fraction):
                    if state.status in counts and state.ended_at is None:
                        counts[state.status] += 1
        for status, count in counts.items():
            family.add_metric([status.value], float(count))
        return family
