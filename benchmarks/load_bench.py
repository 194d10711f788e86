"""Load benchmark: the real webhook worker over HTTP on loopback, against a bare aiogram echo bot.

Each target runs as its own process on 127.0.0.1 (one worker): `frontdesk run --webhook` on SQLite, the same
on PostgreSQL (a throwaway database), and a bare aiogram echo bot behind aiogram's own webhook handler
(answering in the webhook response, the framework's ceiling). The bot's Bot API calls (the outbox sender's
sendMessage) go to a minimal fake Bot API served by this process. Concurrent residents POST updates with
the secret header, as Telegram does:

- throughput: `--concurrency` residents in a closed loop for `--seconds`; sustained updates/s acknowledged;
- latency: an open loop at a fixed `--rate` updates/s for `--seconds`; p50/p99 from send to 200;
- memory: the worker's peak RSS (VmHWM) after both runs.

Every resident is a different person with a realistic mix (greetings, questions, suggestions that open a
ticket, /mytickets) and sends at most a few messages a second, so the flood limit is not what is measured.
All traffic stays on loopback and every loop is bounded in count and time.

    .venv/bin/python benchmarks/load_bench.py            # all targets, ~2 minutes
    .venv/bin/python benchmarks/load_bench.py --targets sqlite,echo --seconds 3
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import os
import secrets
import socket
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "123456:BENCH-token"
SECRET = "bench-secret"
PATH = "/telegram/webhook"
PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
MESSAGES = (
    "你好",
    "物业费怎么交？",
    "建议小区多装几个电动车充电桩",
    "/mytickets",
    "谢谢",
    "how do I pay the property fee?",
    "停车证怎么办理",
    "/help",
)
FLOORS = {"updates_per_s": 300.0, "p99_ms": 100.0, "rss_mb": 250.0, "echo_share": 0.40}


# ---- the fake Bot API the workers send to ------------------------------------------------------------------


async def start_fake_bot_api() -> tuple[web.AppRunner, str]:
    """A Bot API that answers every method at once (sendMessage with a made-up message)."""
    ids = itertools.count(1)

    async def handle(request: web.Request) -> web.Response:
        method = request.match_info["method"]
        if method == "getMe":
            result: Any = {"id": 123456, "is_bot": True, "first_name": "Bench", "username": "bench_bot"}
        elif method in ("sendMessage", "editMessageText"):
            form = (
                await request.post() if request.content_type != "application/json" else await request.json()
            )
            result = {
                "message_id": next(ids),
                "date": int(time.time()),
                "chat": {"id": int(str(form.get("chat_id", 0))), "type": "private"},
                "text": str(form.get("text", "")),
            }
        else:
            result = True
        return web.json_response({"ok": True, "result": result})

    api = web.Application()
    api.router.add_post("/bot{token}/{method}", handle)
    runner = web.AppRunner(api, access_log=None)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    return runner, f"http://127.0.0.1:{port}"


# ---- targets ----------------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.contextmanager
def postgres_database() -> Iterator[str]:
    """A throwaway PostgreSQL database, migrated to head, dropped afterwards."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    from storage.database import make_engine, upgrade

    name = f"frontdesk_bench_{secrets.token_hex(4)}"
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(PG_ADMIN).set(database=name).render_as_string(hide_password=False)
    try:
        engine = make_engine(url)
        upgrade(engine)
        engine.dispose()
        yield url
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@dataclass
class Worker:
    """A target process listening on a loopback port."""

    name: str
    process: asyncio.subprocess.Process
    url: str

    def peak_rss_mb(self) -> float:
        """The process's peak resident set (VmHWM), in MB."""
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        return float("nan")


async def wait_ready(url: str, process: asyncio.subprocess.Process, within: float = 180) -> None:
    """Until the worker answers /healthz (or the echo bot its route), or fail if it died."""
    deadline = time.monotonic() + within
    async with aiohttp.ClientSession() as session:
        while time.monotonic() < deadline:
            if process.returncode is not None:
                raise RuntimeError(f"worker exited with {process.returncode}")
            with contextlib.suppress(aiohttp.ClientError):
                async with session.get(url.replace(PATH, "/healthz")) as response:
                    if response.status < 500:
                        return
            await asyncio.sleep(0.2)
    raise TimeoutError(f"worker at {url} not ready within {within} s")


@contextlib.asynccontextmanager
async def run_target(name: str, api_base: str, database_url: str | None) -> AsyncIterator[Worker]:
    """Start one target process; stop it (SIGTERM, then kill) on exit."""
    port = free_port()
    env = {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_BASE": api_base,
        "FRONTDESK_WEBHOOK_SECRET": SECRET,
        "FRONTDESK_NLU_CACHE": str(ROOT / "var" / "nlu"),
        "FRONTDESK_LOG_LEVEL": "ERROR",
    }
    if database_url is None:
        command = [sys.executable, __file__, "echo-server", "--port", str(port)]
    else:
        env["FRONTDESK_DATABASE_URL"] = database_url
        command = [sys.executable, "-m", "bot", "run", "--webhook", "--listen", f"127.0.0.1:{port}"]
    with tempfile.TemporaryFile() as errors:
        process = await asyncio.create_subprocess_exec(
            *command, env=env, cwd=ROOT, stdout=asyncio.subprocess.DEVNULL, stderr=errors
        )
        worker = Worker(name=name, process=process, url=f"http://127.0.0.1:{port}{PATH}")
        try:
            await wait_ready(worker.url, process)
            yield worker
        except BaseException:
            errors.seek(0)
            sys.stderr.write(errors.read().decode(errors="replace")[-3000:])
            raise
        finally:
            if process.returncode is None:
                process.terminate()
                try:
                    await asyncio.wait_for(process.wait(), timeout=30)
                except TimeoutError:
                    process.kill()
                    await process.wait()


# ---- the echo bot (the framework's ceiling) ---------------------------------------------------------------


def echo_server(port: int) -> None:
    """A bare aiogram bot: one handler echoing the text, answered in the webhook response itself."""
    from aiogram import Bot, Dispatcher
    from aiogram.methods import SendMessage
    from aiogram.types import Message
    from aiogram.webhook.aiohttp_server import SimpleRequestHandler

    from bot.telegram.runner import make_bot

    bot: Bot = make_bot(TOKEN, os.environ["TELEGRAM_API_BASE"])
    dispatcher = Dispatcher()

    @dispatcher.message()
    async def echo(message: Message) -> SendMessage:
        return SendMessage(chat_id=message.chat.id, text=message.text or "…")

    async def healthz(_: web.Request) -> web.Response:
        return web.Response(text="ok")

    app = web.Application()
    SimpleRequestHandler(dispatcher, bot, secret_token=SECRET, handle_in_background=False).register(app, PATH)
    app.router.add_get("/healthz", healthz)
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None)


# ---- residents --------------------------------------------------------------------------------------------


@dataclass
class Residents:
    """Distinct people, each sending the message mix in turn; ids never repeat across a run."""

    first_user: int
    user_ids: Iterator[int] = field(init=False)
    update_ids: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    def __post_init__(self) -> None:
        self.user_ids = itertools.count(self.first_user)

    def update(self, user_id: int, turn: int) -> dict[str, Any]:
        text = MESSAGES[(user_id + turn) % len(MESSAGES)]
        user = {"id": user_id, "is_bot": False, "first_name": "Resident", "language_code": "zh-hans"}
        message = {
            "message_id": turn + 1,
            "date": int(time.time()),
            "chat": {"id": user_id, "type": "private", "first_name": "Resident"},
            "from": user,
            "text": text,
        }
        return {"update_id": next(self.update_ids), "message": message}


async def post(session: aiohttp.ClientSession, url: str, update: dict[str, Any]) -> float:
    """POST one update; the seconds until the 200 (raises on anything else)."""
    started = time.perf_counter()
    async with session.post(
        url,
        data=json.dumps(update),
        headers={"X-Telegram-Bot-Api-Secret-Token": SECRET, "Content-Type": "application/json"},
    ) as response:
        await response.read()
        if response.status != 200:
            raise RuntimeError(f"webhook answered {response.status}")
    return time.perf_counter() - started


async def throughput(url: str, residents: Residents, *, concurrency: int, seconds: float) -> float:
    """Closed loop: each resident sends, waits for the 200, sends again (a new person every 4 messages)."""
    done = 0
    deadline = time.perf_counter() + seconds

    async def resident(session: aiohttp.ClientSession) -> None:
        nonlocal done
        while time.perf_counter() < deadline:
            user = next(residents.user_ids)
            for turn in range(4):
                if time.perf_counter() >= deadline:
                    return
                await post(session, url, residents.update(user, turn))
                done += 1

    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:
        started = time.perf_counter()
        await asyncio.gather(*(resident(session) for _ in range(concurrency)))
        return done / (time.perf_counter() - started)


async def latency(url: str, residents: Residents, *, rate: float, seconds: float) -> list[float]:
    """Open loop at a fixed offered rate; each update's time to its 200, in seconds."""
    count = max(1, int(rate * seconds))
    results: list[float] = []
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session:
        started = time.perf_counter()
        tasks = []
        for index in range(count):
            await asyncio.sleep(max(0.0, started + index / rate - time.perf_counter()))
            user = residents.first_user + index // 4  # four messages per person, spread over 40 ms
            tasks.append(asyncio.create_task(post(session, url, residents.update(user, index % 4))))
        results = list(await asyncio.gather(*tasks))
    return results


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


@dataclass
class Result:
    """One target's figures."""

    name: str
    updates_per_s: float
    p50_ms: float
    p99_ms: float
    rss_mb: float
    low: float | None = None  # with several rounds: the range of the throughputs
    high: float | None = None


@dataclass(frozen=True)
class Load:
    """How hard and how long to drive each target."""

    seconds: float
    concurrency: int
    rate: float


async def bench_one(name: str, api_base: str, database_url: str | None, load: Load) -> Result:
    async with run_target(name, api_base, database_url) as worker:
        residents = Residents(first_user=10_000_000)
        warm_up = min(2.0, load.seconds)
        await throughput(worker.url, residents, concurrency=load.concurrency, seconds=warm_up)
        ups = await throughput(worker.url, residents, concurrency=load.concurrency, seconds=load.seconds)
        await asyncio.sleep(1)
        later = Residents(first_user=20_000_000)
        times = await latency(worker.url, later, rate=load.rate, seconds=load.seconds)
        return Result(
            name=name,
            updates_per_s=ups,
            p50_ms=statistics.median(times) * 1000,
            p99_ms=percentile(times, 0.99) * 1000,
            rss_mb=worker.peak_rss_mb(),
        )


async def run_benchmark(
    targets: list[str], *, seconds: float, concurrency: int, rate: float, rounds: int = 1
) -> list[Result]:
    """Run the targets in turn, `rounds` times over, against one fake Bot API; each target's median.

    On a shared machine whose speed drifts from minute to minute, alternating the targets and taking
    each one's median keeps the echo bot's share from depending on which target ran in a slow stretch.
    """
    runner, api_base = await start_fake_bot_api()
    runs: dict[str, list[Result]] = {}
    try:
        with tempfile.TemporaryDirectory(prefix="frontdesk-bench-") as scratch:
            for round_ in range(rounds):
                for target in targets:
                    load = Load(seconds=seconds, concurrency=concurrency, rate=rate)
                    if target == "sqlite":
                        url = f"sqlite:///{scratch}/bench-{round_}.db"
                        result = await bench_one("frontdesk, SQLite", api_base, url, load)
                    elif target == "postgres":
                        with postgres_database() as url:
                            result = await bench_one("frontdesk, PostgreSQL", api_base, url, load)
                    elif target == "echo":
                        result = await bench_one("bare aiogram echo bot", api_base, None, load)
                    else:
                        raise ValueError(f"unknown target {target!r}")
                    runs.setdefault(result.name, []).append(result)
    finally:
        await runner.cleanup()
    return [median_of(results) for results in runs.values()]


def median_of(results: list[Result]) -> Result:
    """One target's runs as one result: the median of each figure (peak RSS: the highest), with the
    range of the throughputs."""
    rates = [r.updates_per_s for r in results]
    return Result(
        name=results[0].name,
        updates_per_s=statistics.median(rates),
        p50_ms=statistics.median(r.p50_ms for r in results),
        p99_ms=statistics.median(r.p99_ms for r in results),
        rss_mb=max(r.rss_mb for r in results),
        low=min(rates),
        high=max(rates),
    )


def table(results: list[Result], rate: float) -> str:
    """A Markdown table of the figures, with each frontdesk target's share of the echo bot's throughput."""
    echo = next((r.updates_per_s for r in results if r.name.startswith("bare")), None)
    lines = [
        f"| target (1 worker) | updates/s (sustained) | p50 ms @ {rate:g}/s | p99 ms @ {rate:g}/s "
        "| peak RSS MB | share of echo |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in results:
        share = f"{r.updates_per_s / echo:.0%}" if echo and not r.name.startswith("bare") else "—"
        spread = f" ({r.low:.0f}–{r.high:.0f})" if r.low is not None and r.low != r.high else ""
        lines.append(
            f"| {r.name} | {r.updates_per_s:.0f}{spread} | {r.p50_ms:.1f} | {r.p99_ms:.1f} "
            f"| {r.rss_mb:.0f} | {share} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command")
    echo = sub.add_parser("echo-server", help="(internal) run the bare echo bot")
    echo.add_argument("--port", type=int, required=True)
    parser.add_argument("--targets", default="sqlite,postgres,echo")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--rate", type=float, default=100.0)
    parser.add_argument("--rounds", type=int, default=1, help="run the targets in turn this many times")
    args = parser.parse_args()
    if args.command == "echo-server":
        echo_server(args.port)
        return
    results = asyncio.run(
        run_benchmark(
            args.targets.split(","),
            seconds=args.seconds,
            concurrency=args.concurrency,
            rate=args.rate,
            rounds=args.rounds,
        )
    )
    print(table(results, args.rate))


if __name__ == "__main__":
    main()
