"""The Kafka broker, then Redis, stopped and started again mid-stream under a running pipeline.

Each test has its own server of the kind it restarts (the shared session servers must stay up
for the other tests), started with the infra API in tmp_path on a free port. Redis keeps
positions in its append-only file, the broker its log on disk; the services retry until both
are back.
"""

from __future__ import annotations

import os
import signal
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis
import redis_claim
from chaos_harness import services, topic_size, verify, wait_until
from conftest import Infra
from tradefast import config
from tradefast.config import Settings
from tradefast.infra.local import KAFKA, REDIS, LocalInfra
from tradefast.infra.netcheck import free_port
from tradefast.processes import stop

pytestmark = pytest.mark.chaos

GENERATOR = ("--rate", "1500", "--count", "9000", "--books", "BOOK1,BOOK2,BOOK3,BOOK4")
STOP_AFTER = 1000
DOWN_FOR = 3.0


@dataclass(frozen=True)
class OwnInfra:
    local: LocalInfra
    server: str  # the one server this test started and may restart: KAFKA or REDIS


@pytest.fixture
def own_infra(request: pytest.FixtureRequest, infra: Infra, tmp_path: Path) -> Iterator[OwnInfra]:
    """The shared servers except an own one of the kind `request.param` names."""
    own = request.param
    settings = config.load(
        {
            "TRADEFAST_HOME": str(tmp_path / "home"),
            "TRADEFAST_KAFKA_BOOTSTRAP": f"127.0.0.1:{free_port()}"
            if own == KAFKA
            else infra.kafka_bootstrap,
            "TRADEFAST_REDIS_URL": f"redis://127.0.0.1:{free_port()}/0"
            if own == REDIS
            else infra.redis_url,
            "TRADEFAST_TOPIC_PREFIX": f"r{uuid.uuid4().hex[:12]}.",
            "TRADEFAST_GATEWAY_PORT": str(free_port()),
            "TRADEFAST_DASHBOARD_PORT": str(free_port()),
        }
    )
    local = LocalInfra(settings)
    local.up()
    try:
        redis_claim.reset(settings.redis_url)
        yield OwnInfra(local, own)
    finally:
        local.down()  # stops only the server this fixture started


def restart(local: LocalInfra, name: str, how: signal.Signals) -> float:
    """Stop server `name` with `how` (SIGTERM as an operator would, SIGKILL as a crash), wait,
    start it again; the seconds it was unreachable."""
    (server,) = [s for s in local.status() if s.name == name]
    assert server.record is not None, f"{name} was not started by this test"
    stopped = time.monotonic()
    if how == signal.SIGKILL:
        os.kill(server.record.pid, signal.SIGKILL)
    stop(server.record, grace_seconds=30.0)  # waits until it is gone
    time.sleep(DOWN_FOR)
    local.up()
    return time.monotonic() - stopped


@pytest.mark.parametrize(
    ("own_infra", "how"),
    [
        (KAFKA, signal.SIGTERM),
        (KAFKA, signal.SIGKILL),
        (REDIS, signal.SIGTERM),
        (REDIS, signal.SIGKILL),
    ],
    indirect=["own_infra"],
)
def test_server_stop_and_restart_mid_stream(
    own_infra: OwnInfra, how: signal.Signals, tmp_path: Path
) -> None:
    settings: Settings = own_infra.local.settings
    server = own_infra.server
    client = redis.Redis.from_url(settings.redis_url)
    try:
        with services(settings, tmp_path) as make:
            position = make("position").start()
            trader = make("trader").start()
            generator = make("generator", *GENERATOR).start()
            wait_until(
                lambda: topic_size(settings, settings.topics.decided) >= STOP_AFTER,
                f"{STOP_AFTER} decisions before stopping {server}",
            )
            at = topic_size(settings, settings.topics.decided)
            down = restart(own_infra.local, server, how)
            assert generator.wait_exit() == 0, generator.tail()
            verdict = verify(settings, client)
            assert position.alive, position.tail()
            assert trader.alive, trader.tail()
    finally:
        client.close()
    print(
        verdict.summary(
            f"{server} stopped by {how.name} after {at} decisions and restarted "
            f"({down:.1f} s unreachable)"
        )
    )
