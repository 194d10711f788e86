"""Group commit: updates that arrive while the engine is busy are handled together, in one transaction.

Each update costs a transaction's fixed work (a connection, BEGIN, COMMIT and, on PostgreSQL, a WAL flush)
besides its own statements. Under load, updates queue up behind the engine's threads anyway; handing a
thread everything queued at that moment (`Engine.handle_batch`) pays that fixed work once per batch. With
no queue there is no waiting: a lone update goes at once, as a batch of one. Each caller still gets its
own update's replies or exception, and the dispatcher's per-chat lock keeps two updates of one chat out of
the same batch.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import Executor

from dialogs.engine import Engine
from dialogs.messages import IncomingMessage, Outgoing

__all__ = ["MAX_BATCH", "TurnBatcher"]

MAX_BATCH = 32  # updates per transaction: enough to amortise it, small enough to keep locks short

_Item = tuple[IncomingMessage, "asyncio.Future[list[Outgoing]]"]


class TurnBatcher:
    """Feeds `engine` batches of queued updates on `threads` consumers, each running on `executor`."""

    def __init__(
        self, engine: Engine, executor: Executor, *, threads: int, max_batch: int = MAX_BATCH
    ) -> None:
        self._engine = engine
        self._executor = executor
        self._threads = threads
        self._max_batch = max_batch
        self._loop: asyncio.AbstractEventLoop | None = None
        self._queue: asyncio.Queue[_Item] | None = None
        self._consumers: list[asyncio.Task[None]] = []

    async def handle(self, message: IncomingMessage) -> list[Outgoing]:
        """The update's replies once its batch is committed (or what its turn raised)."""
        loop = asyncio.get_running_loop()
        queue = self._queue_on(loop)
        future: asyncio.Future[list[Outgoing]] = loop.create_future()
        queue.put_nowait((message, future))
        return await future

    def _queue_on(self, loop: asyncio.AbstractEventLoop) -> asyncio.Queue[_Item]:
        """The queue and its consumers on the running loop (made anew if the loop changed, as in tests; a
        consumer that ended is replaced, so queued updates are never left without one)."""
        if self._queue is None or self._loop is not loop:
            self._loop, self._queue, self._consumers = loop, asyncio.Queue(), []
        queue = self._queue
        self._consumers = [c for c in self._consumers if not c.done()]
        while len(self._consumers) < self._threads:
            self._consumers.append(loop.create_task(self._consume(queue)))
        return queue

    async def _consume(self, queue: asyncio.Queue[_Item]) -> None:
        loop = asyncio.get_running_loop()
        while True:
            batch = [await queue.get()]
            while len(batch) < self._max_batch and not queue.empty():
                batch.append(queue.get_nowait())
            messages = [message for message, _ in batch]
            outcomes: list[list[Outgoing] | Exception] | None = None
            try:
                outcomes = await loop.run_in_executor(self._executor, self._engine.handle_batch, messages)
            except Exception as error:  # the executor itself failed (shut down): every caller hears it
                outcomes = [error] * len(batch)
            finally:
                if outcomes is None:  # cancelled (the loop is closing) or worse: nobody may wait for ever
                    for _, future in batch:
                        if not future.done():
                            future.set_exception(RuntimeError("the update's batch did not finish"))
            for (_, future), outcome in zip(batch, outcomes, strict=True):
                if future.done():
                    continue  # the caller gave up waiting; the update was handled all the same
                if isinstance(outcome, Exception):
                    future.set_exception(outcome)
                else:
                    future.set_result(outcome)
