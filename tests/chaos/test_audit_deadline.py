"""`tradefast positions check` when the broker stops answering in the middle of its read: the
broker (this test's own, so the shared one stays up) is frozen with SIGSTOP, so its connections
stay open and silent, the hardest case for a client. The command must give up once nothing has
arrived for its --timeout (plus the time to work through what it had already fetched), exit 2,
and say so in one line that names how far it got."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest
from chaos_harness import service_env
from confluent_kafka import Producer
from conftest import Infra
from tradefast import config
from tradefast.config import Settings
from tradefast.infra.kafka_config import producer_config
from tradefast.infra.local import KAFKA, LocalInfra
from tradefast.infra.netcheck import free_port
from tradefast.proto.tradefast_pb2 import Inquiry, Side, Status

pytestmark = pytest.mark.chaos

# Enough that the read outlasts the command's 8 MB prefetch several times over.
MESSAGES = 600_000
TIMEOUT = 8.0
# Time after the command's first connection to the broker before the broker is frozen.
INTO_THE_READ = 0.5


@pytest.fixture
def own_broker(infra: Infra, tmp_path: Path) -> Iterator[tuple[Settings, int]]:
    """Settings on a broker of this test's own (and the shared Redis); the broker's pid."""
    port = free_port()
    settings = config.load(
        {
            "TRADEFAST_HOME": str(tmp_path / "home"),
            "TRADEFAST_KAFKA_BOOTSTRAP": f"127.0.0.1:{port}",
            "TRADEFAST_REDIS_URL": infra.redis_url,
            "TRADEFAST_TOPIC_PREFIX": f"a{uuid.uuid4().hex[:12]}.",
        }
    )
    local = LocalInfra(settings, ephemeral=True)
    local.up()
    (kafka,) = [server for server in local.status() if server.name == KAFKA]
    assert kafka.record is not None
    try:
        yield settings, kafka.record.pid
    finally:
        os.kill(kafka.record.pid, signal.SIGCONT)
        local.down()


def fill_decided(settings: Settings) -> None:
    """MESSAGES DONE decisions (one inquiry, replayed: the audit counts it once)."""
    value = Inquiry(
        inquiry_id=1,
        book_id="BOOK1",
        instrument_id="AAPL",
        quantity=100,
        price=250,
        side=Side.BUY,
        status=Status.DONE,
        version=3,
    ).SerializeToString()
    producer = Producer(producer_config(settings))
    for index in range(MESSAGES):
        key = f"BOOK{index % 12}|AAPL".encode()  # spread over the partitions
        while True:
            try:
                producer.produce(settings.topics.decided, value, key)
                break
            except BufferError:
                producer.poll(0.05)
        producer.poll(0)
    assert producer.flush(120) == 0


def connected_to(process: psutil.Process, port: int) -> bool:
    try:
        return any(c.raddr and c.raddr.port == port for c in process.net_connections("tcp"))
    except psutil.NoSuchProcess:
        return False


def test_check_gives_up_clearly_when_the_broker_stops_mid_read(
    own_broker: tuple[Settings, int],
) -> None:
    settings, broker_pid = own_broker
    fill_decided(settings)
    port = int(settings.kafka_bootstrap.rsplit(":", 1)[1])
    command = subprocess.Popen(
        [sys.executable, "-m", "tradefast", "positions", "check", "--timeout", str(TIMEOUT)],
        env=service_env(settings),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        watched = psutil.Process(command.pid)
        deadline = time.monotonic() + 60
        while not connected_to(watched, port):
            assert command.poll() is None, "the command ended before it read anything"
            assert time.monotonic() < deadline, "the command never connected to the broker"
            time.sleep(0.01)
        time.sleep(INTO_THE_READ)
        os.kill(broker_pid, signal.SIGSTOP)
        frozen = time.monotonic()
        stdout, stderr = command.communicate(timeout=TIMEOUT + 60)
        took = time.monotonic() - frozen
    finally:
        if command.poll() is None:
            command.kill()
            command.wait(10)

    assert command.returncode == 2, stdout + stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    found = re.search(
        r"stopped answering while reading \S+: nothing for \d+ s after (\d+) ", lines[0]
    )
    assert found is not None, lines[0]
    read = int(found.group(1))
    assert 0 < read < MESSAGES, f"not a stop in the middle of the read: {lines[0]}"
    assert took < TIMEOUT + 10, f"gave up {took:.1f} s after the broker froze"
    print(
        f"[audit] broker frozen (SIGSTOP) after {read} of {MESSAGES} messages: "
        f"`positions check --timeout {TIMEOUT:.0f}` exited 2 after {took:.1f} s with: {lines[0]}"
    )
