"""No silent death, no frozen feed: when the gateway's feed task or its position refresh task
dies, the gateway says why and exits non-zero (its supervisor starts a fresh one); while the
feed loop is stuck, /healthz answers 503, and past a limit the gateway exits too.

The position task is broken by a real fault (a corrupt value in Redis). The feed task has no
such outside fault that kills it (Kafka errors are logged and retried), so a wrapper breaks it
from the inside: the gateway runs as `tradefast service gateway`, in a process that first
replaces one method, as a bug would.
"""

from __future__ import annotations

import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import redis
from gateway_io import new_inquiry, process_env, publish, stop, wait_ready
from tradefast.config import Settings
from tradefast.infra.netcheck import free_port
from tradefast.positions.store import redis_key

EXIT_WAIT = 30.0

# Runs the gateway after an injected fault; argv: the file whose existence triggers it.
BREAK_FEED = """
import sys
from tradefast.gateway import hub

def on_values(self, values):
    raise RuntimeError("injected: the hub cannot take values")

hub.Hub.on_values = on_values
from tradefast.cli import main
sys.exit(main(["service", "gateway"]))
"""

FREEZE_FEED = """
import asyncio, sys
from pathlib import Path
from tradefast.gateway import feed, service

trigger = Path(sys.argv[1])
original = feed.StageFeed.next_values
service.FEED_STALL_EXIT = 10.0  # the default 30 s, shortened to keep the test quick

async def next_values(self):
    if trigger.exists():
        await asyncio.Event().wait()  # stuck for good, as a deadlocked loop would be
    return await original(self)

feed.StageFeed.next_values = next_values
from tradefast.cli import main
sys.exit(main(["service", "gateway"]))
"""


@contextmanager
def gateway_process(
    settings: Settings, settings_env: dict[str, str], log: Path, *command: str
) -> Iterator[subprocess.Popen[bytes]]:
    """The gateway as `command` (after the interpreter), ready on entry, stopped on exit."""
    env = process_env(settings_env, {"TRADEFAST_GATEWAY_METRICS_PORT": str(free_port())})
    with open(log, "ab") as out:
        process = subprocess.Popen(
            [sys.executable, *command], env=env, stdout=out, stderr=subprocess.STDOUT
        )
    try:
        wait_ready(health_url(settings), process, log)
        yield process
    finally:
        stop(process)


def health_url(settings: Settings) -> str:
    return f"http://{settings.gateway_host}:{settings.gateway_port}/healthz"


def health(settings: Settings) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(health_url(settings), timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def exit_code(process: subprocess.Popen[bytes], log: Path) -> int:
    try:
        return process.wait(EXIT_WAIT)
    except subprocess.TimeoutExpired:
        pytest.fail(f"the gateway is still running after the fault:\n{log.read_text()[-3000:]}")


def test_position_task_death_stops_the_gateway(
    settings: Settings, settings_env: dict[str, str], redis_client: redis.Redis, tmp_path: Path
) -> None:
    log = tmp_path / "gateway.log"
    command = ("-m", "tradefast", "service", "gateway")
    with gateway_process(settings, settings_env, log, *command) as process:
        redis_client.hset(redis_key("BOOK1|AAPL"), mapping={"notional": "garbage"})
        # It re-reads the positions at least every second: the corrupt value kills that task.
        code = exit_code(process, log)
    text = log.read_text()
    assert code == 1, text[-3000:]
    assert "the positions task failed" in text and "garbage" in text, text[-3000:]


def test_feed_task_death_stops_the_gateway(
    settings: Settings, settings_env: dict[str, str], tmp_path: Path
) -> None:
    log = tmp_path / "gateway.log"
    with gateway_process(settings, settings_env, log, "-c", BREAK_FEED) as process:
        publish(settings, settings.topics.new, [new_inquiry(1)])
        code = exit_code(process, log)
    text = log.read_text()
    assert code == 1, text[-3000:]
    assert "the feed task failed: injected" in text, text[-3000:]


def test_a_frozen_feed_is_not_ready_and_then_exits(
    settings: Settings, settings_env: dict[str, str], tmp_path: Path
) -> None:
    log, trigger = tmp_path / "gateway.log", tmp_path / "freeze"
    with gateway_process(settings, settings_env, log, "-c", FREEZE_FEED, str(trigger)) as process:
        # Ready over an idle feed: the loop goes round without any message.
        time.sleep(7)
        assert health(settings)[0] == 200
        trigger.touch()
        frozen = time.monotonic()
        while (answer := health(settings))[0] == 200:
            assert time.monotonic() - frozen < 15, "still ready over a frozen feed"
            time.sleep(0.2)
        noticed = time.monotonic() - frozen
        code = exit_code(process, log)
        gone = time.monotonic() - frozen
    text = log.read_text()
    assert answer[0] == 503 and "feed stalled: no progress for" in answer[1], answer
    assert code == 1, text[-3000:]
    assert "the feed loop made no progress" in text, text[-3000:]
    print(
        f"[gateway] frozen feed: /healthz 503 after {noticed:.1f} s, exit code {code} after "
        f"{gone:.1f} s (limits 5 s and 10 s)"
    )
