"""The example deployment runs: `deploy/run-local.sh` starts nginx, two webhook workers and one worker
under honcho on PostgreSQL; updates sent to the proxy reach both webhook workers, the worker delivers the
answers to the (fake) Bot API, and SIGTERM stops the lot."""

from __future__ import annotations

import asyncio
import os
import re
import secrets
import signal
import subprocess
from pathlib import Path

import aiohttp
import pytest

from dialogs.nlu.feedback import FeedbackReader
from dialogs.nlu.types import NluBackend
from tests.fake_bot_api import FakeBotApi
from tests.production.processes import ROOT, bot_env, free_port, throwaway_postgres
from tests.production.support import Updates, deliver

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

NGINX_UNAVAILABLE = 3  # run-local.sh's exit code when nginx cannot be found or installed


def start_deployment(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """`deploy/run-local.sh` in its own process group, output to `log`."""
    with log.open("wb") as out:
        return subprocess.Popen(
            ["bash", str(ROOT / "deploy" / "run-local.sh")],
            env=env,
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def tail(log: Path, chars: int = 4000) -> str:
    return log.read_text(errors="replace")[-chars:]


async def wait_ok(http: aiohttp.ClientSession, url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 240
    while loop.time() < deadline:
        if process.poll() is not None:
            if process.returncode == NGINX_UNAVAILABLE:
                pytest.skip("nginx is not installed and cannot be installed here")
            raise AssertionError(f"deployment exited {process.returncode}:\n{tail(log)}")
        try:
            async with http.get(url) as response:
                if response.status == 200:
                    return
        except aiohttp.ClientError:
            pass
        await asyncio.sleep(0.3)
    raise AssertionError(f"{url} never answered:\n{tail(log)}")


def handled(metrics_page: str) -> float:
    match = re.search(r'^frontdesk_updates_total\{outcome="handled"\} (\S+)$', metrics_page, re.MULTILINE)
    return float(match.group(1)) if match else 0.0


async def test_local_deployment_serves_through_the_proxy(
    tmp_path: Path, nlu: NluBackend, feedback: FeedbackReader
) -> None:
    """`nlu` and `feedback` make sure the models are cached before the processes load them."""
    with throwaway_postgres(f"frontdesk_deploy_{secrets.token_hex(4)}") as url:
        async with (
            FakeBotApi() as api,
            aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as http,
        ):
            ports = {name: free_port() for name in ("WEB1", "WEB2", "WORKER", "PROXY")}
            env = bot_env(api_base=api.base_url, token=api.token, database_url=url, var_dir=tmp_path / "var")
            env.update({f"FRONTDESK_{name}_PORT": str(port) for name, port in ports.items()})
            env.update(
                FRONTDESK_RUN_DIR=str(tmp_path / "run"), FRONTDESK_PUBLIC_URL="https://bot.example.org"
            )
            # The worker polls the outbox only every 60 s: answers in time prove the Redis nudges work.
            env.update(FRONTDESK_REDIS_URL="redis://127.0.0.1:6379/15", FRONTDESK_WORKER_INTERVAL="60")
            log = tmp_path / "deployment.log"
            process = start_deployment(env, log)
            proxy = f"http://127.0.0.1:{ports['PROXY']}"
            workers = [f"http://127.0.0.1:{ports[name]}" for name in ("WEB1", "WEB2", "WORKER")]
            try:
                for base in workers:
                    await wait_ok(http, base + "/readyz", process, log)
                await wait_ok(http, proxy + "/healthz", process, log)
                assert (
                    api.webhook is not None
                    and api.webhook["url"] == "https://bot.example.org/telegram/webhook"
                )

                updates = Updates()
                residents = (7301, 7302, 7303)
                for resident in residents:
                    await deliver(
                        http, proxy + "/telegram/webhook", updates.text(resident, "/start"), within=30
                    )
                for resident in residents:
                    greeting, ask_room = await api.wait_for_messages(resident, 2, timeout=20)
                    assert "您好" in (greeting.text or "") and "房号" in (ask_room.text or "")

                per_worker = []
                for base in workers[:2]:
                    async with http.get(base + "/metrics") as response:
                        per_worker.append(handled(await response.text()))
                assert sum(per_worker) == len(residents) and all(count > 0 for count in per_worker), (
                    per_worker
                )
            finally:
                if process.poll() is None:
                    process.send_signal(signal.SIGTERM)  # honcho stops every process it started
                    try:
                        process.wait(timeout=40)
                    except subprocess.TimeoutExpired:
                        os.killpg(process.pid, signal.SIGKILL)
                        process.wait()
            output = tail(log, 100_000)
            assert "web1.1" in output and "web2.1" in output and "proxy.1" in output, output[-3000:]
