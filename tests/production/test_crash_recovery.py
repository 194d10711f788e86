"""Kill -9 at random points of conversations: nothing lost, nothing twice.

Two webhook workers and one sender/scheduler worker run as real processes on PostgreSQL. Four residents
each go through a first visit ending in a repair ticket, their updates spread over both workers like a load
balancer does, while workers are SIGKILLed at random moments and restarted. Updates that got no 2xx are
POSTed again, as Telegram does. At the end every resident has exactly one ticket and exactly the answers of
an undisturbed conversation, in order; every stored message was delivered, and a delivery repeats only when
the sender died between sending it and recording it (at most once per sender kill: Telegram's API has no
idempotency key, so that window cannot be closed from our side).
"""

from __future__ import annotations

import asyncio
import random
import secrets
from collections.abc import Sequence
from pathlib import Path

import aiohttp
import pytest
from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from bot.telegram.webhook import WEBHOOK_PATH
from dialogs.nlu.feedback import FeedbackReader
from dialogs.nlu.types import NluBackend
from storage.database import make_engine, upgrade
from storage.tables import OutboxRow, OutboxStatus, ProcessedUpdateRow, TicketRow
from tests.fake_bot_api import FakeBotApi
from tests.production.processes import (
    STAFF_CHAT,
    BotProcess,
    bot_env,
    sender_worker,
    throwaway_postgres,
    webhook_worker,
)
from tests.production.support import JsonDict, Updates, post_update, repair_conversation

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

RESIDENTS = (7101, 7102, 7103, 7104)
# What an undisturbed first visit answers, in order (one fragment per message).
EXPECTED = (
    "您好",
    "房号",
    "电话",
    "已为您登记",
    "报修（如",
    "维修地点",
    "照片",
    "请核对",
    "报修已登记",
    "您的工单",
)


class Balancer:
    """Round-robin over the workers, retrying an update until some worker acknowledges it (Telegram keeps
    redelivering what got no 2xx; the proxy in front sends each attempt to the next worker)."""

    def __init__(self, urls: Sequence[str]) -> None:
        self._urls = list(urls)
        self._next = 0
        self.attempts = 0

    async def deliver(self, http: aiohttp.ClientSession, update: JsonDict) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 300
        while True:
            url = self._urls[self._next % len(self._urls)]
            self._next += 1
            self.attempts += 1
            if 200 <= await post_update(http, url, update) < 300:
                return
            if loop.time() > deadline:
                raise AssertionError(f"update {update['update_id']} never acknowledged")
            await asyncio.sleep(0.05)

    async def converse(
        self, http: aiohttp.ClientSession, script: Sequence[JsonDict], rng: random.Random
    ) -> None:
        for update in script:  # a resident waits for each message to go through, and reads, before the next
            await self.deliver(http, update)
            await asyncio.sleep(rng.uniform(0.1, 0.8))


async def healthy(http: aiohttp.ClientSession, process: BotProcess) -> bool:
    try:
        async with http.get(
            process.base_url + "/healthz", timeout=aiohttp.ClientTimeout(total=1)
        ) as response:
            return response.status == 200
    except (aiohttp.ClientError, TimeoutError):
        return False


async def kill_at_random(
    http: aiohttp.ClientSession,
    web: Sequence[BotProcess],
    sender: BotProcess,
    done: asyncio.Event,
    rng: random.Random,
    *,
    kills: int,
) -> list[str]:
    """SIGKILL a random running process at random moments (restarting it at once) until `done` or `kills`.

    A webhook worker is killed only while another one is up, so the conversations go on through the kill
    and the restart (a process still starting would only cost time); the sender is killed at most once.
    """
    killed: list[str] = []
    while not done.is_set() and len(killed) < kills:
        await asyncio.sleep(rng.uniform(0.05, 0.5))
        up = [process for process in [*web, sender] if await healthy(http, process)]
        candidates = [
            process
            for process in up
            if (process is sender and sender.name not in killed)
            or (process in web and sum(other in up for other in web) >= 2)
        ]
        if done.is_set() or not candidates:
            continue
        victim = rng.choice(candidates)
        victim.kill()
        killed.append(victim.name)
        victim.start()
    return killed


def outbox_texts(db: Engine, chat_id: int) -> list[str]:
    with Session(db) as session:
        rows = session.exec(select(OutboxRow).where(OutboxRow.chat_id == chat_id).order_by(col(OutboxRow.id)))
        return [str(row.payload.get("text", "")) for row in rows]


def count(db: Engine, model: type[OutboxRow] | type[TicketRow] | type[ProcessedUpdateRow]) -> int:
    with Session(db) as session:
        return session.exec(select(func.count()).select_from(model)).one()


async def wait_delivered(db: Engine, within: float = 180) -> None:
    """Until no outbox row is pending or in flight."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while loop.time() < deadline:
        with Session(db) as session:
            open_rows = session.exec(
                select(func.count())
                .select_from(OutboxRow)
                .where(col(OutboxRow.status).in_([OutboxStatus.PENDING, OutboxStatus.SENDING]))
            ).one()
        if open_rows == 0:
            return
        await asyncio.sleep(0.2)
    raise AssertionError("outbox not drained")


def collapse_repeats(texts: list[str]) -> tuple[list[str], int]:
    """The texts without immediate repeats, and how many repeats there were."""
    collapsed: list[str] = []
    for text in texts:
        if not collapsed or collapsed[-1] != text:
            collapsed.append(text)
    return collapsed, len(texts) - len(collapsed)


async def test_kill_9_at_random_points_loses_and_duplicates_nothing(
    tmp_path: Path, nlu: NluBackend, feedback: FeedbackReader
) -> None:
    """`nlu` and `feedback` make sure the models are trained and cached before the processes load them."""
    seed = secrets.randbits(32)
    rng = random.Random(seed)
    with throwaway_postgres(f"frontdesk_kill_{secrets.token_hex(4)}") as url:
        db = make_engine(url)
        upgrade(db)
        async with (
            FakeBotApi() as api,
            aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as http,
        ):
            env = bot_env(api_base=api.base_url, token=api.token, database_url=url, var_dir=tmp_path / "var")
            web = [webhook_worker(f"web{n}", env, tmp_path) for n in (1, 2)]
            sender = sender_worker("worker", env, tmp_path, lease=2)
            everyone = [*web, sender]
            for process in everyone:
                process.start()
            try:
                await asyncio.gather(*(process.wait_healthy(http) for process in everyone))
                updates = Updates()
                scripts = [
                    repair_conversation(updates, resident, f"3栋2单元50{n}")
                    for n, resident in enumerate(RESIDENTS, start=1)
                ]
                balancer = Balancer([process.base_url + WEBHOOK_PATH for process in web])
                done = asyncio.Event()
                killer = asyncio.create_task(kill_at_random(http, web, sender, done, rng, kills=4))
                await asyncio.gather(*(balancer.converse(http, script, rng) for script in scripts))
                done.set()
                killed = await killer
                await asyncio.gather(*(process.wait_healthy(http) for process in everyone))
                await wait_delivered(db)
            finally:
                for process in everyone:
                    await process.stop()
            logs = "\n".join(process.log_tail(1500) for process in everyone)
            context = f"seed={seed} kills={killed} attempts={balancer.attempts}\n{logs}"
            assert len(killed) >= 1, context

            # Every update handled exactly once, every resident has one ticket and an undisturbed transcript.
            assert count(db, ProcessedUpdateRow) == sum(len(script) for script in scripts), context
            assert count(db, TicketRow) == len(RESIDENTS), context
            for resident in RESIDENTS:
                texts = outbox_texts(db, resident)
                assert len(texts) == len(EXPECTED), (resident, texts, context)
                for text, fragment in zip(texts, EXPECTED, strict=True):
                    assert fragment in text, (resident, texts)
            staff_cards = outbox_texts(db, STAFF_CHAT)
            assert len(staff_cards) == len(RESIDENTS) and all("报修" in card for card in staff_cards)

            # Every stored message reached Telegram, in order; a repeat only where the sender was killed.
            sender_kills = killed.count(sender.name)
            repeats = 0
            for chat_id in (*RESIDENTS, STAFF_CHAT):
                delivered = [message.text or "" for message in api.sent_messages(chat_id)]
                collapsed, repeated = collapse_repeats(delivered)
                if chat_id == STAFF_CHAT:
                    assert sorted(collapsed) == sorted(outbox_texts(db, chat_id)), context
                else:
                    assert collapsed == outbox_texts(db, chat_id), (chat_id, delivered, context)
                repeats += repeated
            assert repeats <= sender_kills, context
        db.dispose()
