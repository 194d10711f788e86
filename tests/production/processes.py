"""Real `frontdesk` processes for the production tests: webhook workers and the sender/scheduler worker,
started with `python -m bot`, on a PostgreSQL database, against the fake Bot API; killed with SIGKILL
or stopped with SIGTERM like a supervisor would."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import aiohttp
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bot.settings import repo_root
from tests.production.support import SECRET

ROOT = repo_root()
STAFF_CHAT = -100777
PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def throwaway_postgres(name: str) -> Iterator[str]:
    """A fresh PostgreSQL database for one test (skipped when the server is unreachable, failed on CI)."""
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3})
    try:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as error:
        admin.dispose()
        if os.environ.get("CI", "").lower() == "true":
            raise
        pytest.skip(f"PostgreSQL unreachable: {type(error).__name__}")
    try:
        yield make_url(PG_ADMIN).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def bot_env(*, api_base: str, token: str, database_url: str, var_dir: Path) -> dict[str, str]:
    """The environment a deployed process gets (the model cache is shared, so nobody retrains)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "FRONTDESK_"))}
    env.update(
        TELEGRAM_BOT_TOKEN=token,
        TELEGRAM_API_BASE=api_base,
        FRONTDESK_DATABASE_URL=database_url,
        FRONTDESK_VAR_DIR=str(var_dir),
        FRONTDESK_NLU_CACHE=str(ROOT / "var" / "nlu"),
        FRONTDESK_STAFF_CHAT_ID=str(STAFF_CHAT),
        FRONTDESK_WEBHOOK_SECRET=SECRET,
        FRONTDESK_LOG_LEVEL="INFO",
        PYTHONFAULTHANDLER="1",
    )
    return env


STOP_WITHIN = 20
"""Seconds a worker gets to exit after SIGTERM before it is killed."""


class BotProcess:
    """One `python -m bot …` process that can be (re)started, killed and stopped; logs go to a file."""

    def __init__(self, name: str, args: list[str], env: Mapping[str, str], port: int, log_dir: Path) -> None:
        self.name = name
        self.args = args
        self.env = dict(env)
        self.port = port
        self.log_path = log_dir / f"{name}.log"
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "bot", *self.args],
                env=self.env,
                cwd=ROOT,
                stdout=log,
                stderr=log,
            )
        self.starts += 1

    def kill(self) -> None:
        """SIGKILL: no cleanup, no rollback in the process, the connection just drops."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)

    async def stop(self) -> int | None:
        """SIGTERM and wait; returns the exit code (None if it had to be killed).

        The wait runs in a thread so the test's event loop keeps serving the fake Bot API and any TCP
        proxy while the worker shuts down: a worker finishing a send or a query on its way out would
        otherwise hang on a loop that is blocked waiting for it.
        """
        if self.process is None:
            return None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                return await asyncio.to_thread(self.process.wait, STOP_WITHIN)
            except subprocess.TimeoutExpired:
                self.kill()
                return None
        return self.process.returncode

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def log_tail(self, chars: int = 6000) -> str:
        return self.log_path.read_text(errors="replace")[-chars:] if self.log_path.exists() else ""

    async def wait_healthy(self, http: aiohttp.ClientSession, within: float = 240) -> None:
        """Wait until GET /healthz answers 200 (the model is loaded and the listener is up)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while loop.time() < deadline:
            if not self.alive():
                raise AssertionError(f"{self.name} exited:\n{self.log_tail()}")
            try:
                async with http.get(self.base_url + "/healthz") as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.2)
        self.dump_stacks()
        raise AssertionError(f"{self.name} not healthy after {within} s:\n{self.log_tail()}")

    def dump_stacks(self) -> None:
        """SIGABRT: faulthandler (PYTHONFAULTHANDLER) writes every thread's stack to the log, then it dies."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGABRT)
            self.process.wait(timeout=10)


def webhook_worker(name: str, env: Mapping[str, str], log_dir: Path) -> BotProcess:
    """A webhook worker that leaves delivery and ticking to the worker process."""
    port = free_port()
    args = ["run", "--webhook", "--listen", f"127.0.0.1:{port}", "--no-deliver"]
    return BotProcess(name, args, env, port, log_dir)


def sender_worker(name: str, env: Mapping[str, str], log_dir: Path, *, lease: int = 60) -> BotProcess:
    """The outbox sender and scheduler, with its health/metrics listener."""
    port = free_port()
    args = ["worker", "--listen", f"127.0.0.1:{port}", "--interval", "0.2", "--lease", str(lease)]
    return BotProcess(name, args, env, port, log_dir)
