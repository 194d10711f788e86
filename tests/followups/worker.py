"""A follow-up worker as a separate process, for the multi-process tests: `python -m tests.followups.worker`.

It runs what `frontdesk run` runs for follow-ups — the scheduler's follow-up job and the outbox sender — on
the real clock against one database, with a transport that records every delivery durably (one line per
message, appended with a single `write`, so a SIGKILL loses nothing already delivered). It stops once nothing
has been due for a while (`--linger` seconds at least).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import time
from dataclasses import dataclass

from benchmarks.followups_bench import always_awake
from bot.outbox import Delivered, DeliveryResult, OutboxSender, RetryPolicy
from dialogs.clock import SystemClock
from dialogs.followup.job import FollowUpJob
from dialogs.i18n import Catalog
from dialogs.messages import ChannelName, Outgoing
from dialogs.site import load_site
from dialogs.ticker import Ticker
from storage.database import make_engine
from storage.uow import SqlUnitOfWorkFactory


@dataclass
class RecordingTransport:
    """Appends `<once id or chat id>` per delivery to a file; `delay` makes each send take that long.

    With `die_after`, the process SIGKILLs itself right after that many deliveries, before the sender could
    record the last one: the worst moment to die, with the rest of its batch claimed and leased.
    """

    fd: int
    delay: float
    die_after: int | None = None
    count: int = 0

    @property
    def channel(self) -> ChannelName:
        return ChannelName.TELEGRAM

    async def send(self, message: Outgoing, *, edit_message_id: int | None = None) -> DeliveryResult:
        if self.delay:
            await asyncio.sleep(self.delay)
        os.write(self.fd, f"{message.once or message.chat_id}\n".encode())
        self.count += 1
        if self.count == self.die_after:
            os.kill(os.getpid(), signal.SIGKILL)
        return Delivered(external_id=None)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--delay", type=float, default=0.0)
    parser.add_argument("--lease", type=int, default=60)
    parser.add_argument("--batch", type=int, default=200)
    parser.add_argument("--linger", type=float, default=0.0)
    parser.add_argument("--die-after", type=int, default=None)
    args = parser.parse_args()
    engine = make_engine(args.db)
    uow_factory = SqlUnitOfWorkFactory(engine)
    clock = SystemClock()
    job = FollowUpJob(
        site=always_awake(load_site()), catalog=Catalog.load(), staff_chat_id=None, batch=args.batch
    )
    ticker = Ticker(uow_factory=uow_factory, clock=clock, jobs=[job])
    fd = os.open(args.out, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    sender = OutboxSender(
        uow_factory,
        RecordingTransport(fd, args.delay, args.die_after),
        clock,
        policy=RetryPolicy(lease_seconds=args.lease),
    )
    began = time.monotonic()
    idle = 0
    try:
        while idle < 5 or time.monotonic() - began < args.linger:
            queued = ticker.tick()
            delivered = asyncio.run(sender.flush(limit=100))
            idle = 0 if queued or delivered else idle + 1
            if not queued and not delivered:
                time.sleep(0.1)
    finally:
        os.close(fd)
        engine.dispose()


if __name__ == "__main__":
    main()
