"""The whole pipeline on three Kafka brokers and a Redis Cluster, with the broker that leads the
most partitions and then one Redis master killed by SIGKILL mid-stream, both brought back later.

Afterwards every inquiry has a final decision, none was decided two different ways, the
positions in the cluster equal a recomputation from the log to the cent, and `tradefast
positions check` and `rebuild` agree with the cluster. The test prints what it measured: leader
moves, the failover, and how long until decisions flowed again.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import redis
from chaos_harness import service_env, services, stored_positions, topic_size, verify, wait_until
from confluent_kafka.admin import AdminClient
from conftest import Clusters
from redis.crc import key_slot
from tradefast.config import Settings
from tradefast.infra.kafka_config import client_config
from tradefast.infra.local import REDIS, State
from tradefast.infra.redis_clients import sync_client
from tradefast.positions.store import redis_key
from tradefast.processes import ProcessRecord, stop

pytestmark = pytest.mark.cluster

COUNT = 20_000
RATE = "1000"
# 30 books x 5 instruments: 150 keys, whose books' hash slots spread over the three masters.
BOOKS = ",".join(f"BOOK{n}" for n in range(1, 31))
BROKER_KILL_AT = 3_000
MASTER_KILL_AT = 9_000
# Decisions that must come after a fault before the pipeline counts as flowing again.
FLOWING = 500
POLL = 0.1


@dataclass(frozen=True)
class Recovery:
    what: str
    at: int  # decisions when it was killed
    moved: str  # what moved off it
    moved_after: float  # seconds from the kill until it had moved
    flowing_after: float  # seconds from the kill until decisions flowed again

    def describe(self) -> str:
        return (
            f"kill -9 {self.what} after {self.at} decisions: {self.moved} after "
            f"{self.moved_after:.1f} s, decisions flowing again after {self.flowing_after:.1f} s"
        )


def _pid(clusters: Clusters, name: str) -> ProcessRecord:
    (server,) = [s for s in clusters.local.status() if s.name == name]
    assert server.state is State.RUNNING and server.record is not None, server.describe()
    return server.record


def _kill(record: ProcessRecord) -> None:
    os.kill(record.pid, signal.SIGKILL)
    stop(record, grace_seconds=10.0)  # returns once it is gone


def _leaders(settings: Settings) -> dict[tuple[str, int], int]:
    """The leader (broker id, -1 while none) of every partition of the pipeline's topics and of
    the consumer groups' offsets."""
    admin = AdminClient({**client_config(settings), "log_level": 0})  # type: ignore[dict-item]
    topics = admin.list_topics(timeout=10).topics
    return {
        (name, number): partition.leader
        for name, topic in topics.items()
        if name in (*settings.topics.all, "__consumer_offsets")
        for number, partition in topic.partitions.items()
    }


def _flowing_again(settings: Settings, since: float, decided_at_kill: int) -> float:
    wait_until(
        lambda: topic_size(settings, settings.topics.decided) >= decided_at_kill + FLOWING,
        "decisions to flow again after the fault",
    )
    return time.monotonic() - since


def _kill_busiest_broker(settings: Settings, clusters: Clusters) -> Recovery:
    leaders = _leaders(settings)
    pipeline = Counter(b for (t, _), b in leaders.items() if t in settings.topics.all)
    broker, led = pipeline.most_common(1)[0]
    at = topic_size(settings, settings.topics.decided)
    killed = time.monotonic()
    _kill(_pid(clusters, f"kafka-{broker}"))
    moving = {tp for tp, leader in leaders.items() if leader == broker}
    wait_until(
        lambda: not any(_leaders(settings).get(tp, -1) in (broker, -1) for tp in moving),
        f"the partitions kafka-{broker} led to have new leaders",
    )
    moved_after = time.monotonic() - killed
    flowing_after = _flowing_again(settings, killed, at)
    moved = (
        f"{len(moving)} partition leaders moved ({led} of the pipeline's "
        f"{sum(pipeline.values())} partitions, {len(moving) - led} of the consumer offsets')"
    )
    return Recovery(f"kafka-{broker}", at, moved, moved_after, flowing_after)


def _command(client: redis.Redis, *args: str) -> Any:
    return client.execute_command(*args)  # type: ignore[no-untyped-call]


def _master_of(client: redis.Redis, slot: int) -> int | None:
    """The port of the master serving `slot`, as the node `client` talks to sees the cluster."""
    for low, high, master, *_ in _command(client, "CLUSTER", "SLOTS"):
        if low <= slot <= high:
            return int(master[1])
    return None


def _serving(client: redis.Redis, slot: int, other_than: int) -> bool:
    master = _master_of(client, slot)
    state = _command(client, "CLUSTER", "INFO")
    return master not in (None, other_than) and b"cluster_state:ok" in state


def _kill_a_master(settings: Settings, clusters: Clusters, book: str) -> Recovery:
    slot = key_slot(redis_key(f"{book}|AAPL").encode())
    nodes = [n for n in clusters.local.nodes if n.kind == REDIS]
    with redis.Redis.from_url(nodes[0].address, socket_timeout=5.0) as first:
        port = _master_of(first, slot)
    (victim,) = [n for n in nodes if n.port == port]
    witness = next(n for n in nodes if n.port != port)
    at = topic_size(settings, settings.topics.decided)
    killed = time.monotonic()
    _kill(_pid(clusters, victim.name))
    with redis.Redis.from_url(witness.address, socket_timeout=5.0) as survivor:
        wait_until(
            lambda: _serving(survivor, slot, other_than=victim.port),
            f"a replica of {victim.name} to take over its slots",
        )
        promoted = _master_of(survivor, slot)
    moved_after = time.monotonic() - killed
    flowing_after = _flowing_again(settings, killed, at)
    moved = f"its slots (BOOK1's among them) served by its replica on port {promoted}"
    return Recovery(f"Redis master {victim.name}", at, moved, moved_after, flowing_after)


def _tradefast(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tradefast", *args],
        env=service_env(settings),
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


@pytest.mark.timeout(900)
def test_the_pipeline_rides_out_a_broker_and_a_redis_master_killed(
    clusters: Clusters, cluster_settings: Settings, tmp_path: Path
) -> None:
    settings = cluster_settings
    generator_args = ("--rate", RATE, "--count", str(COUNT), "--books", BOOKS)
    with sync_client(settings.redis_url, timeout=10.0) as client:
        with services(settings, tmp_path) as make:
            position = make("position").start()
            trader = make("trader").start()
            generator = make("generator", *generator_args).start()
            started = time.monotonic()

            wait_until(
                lambda: topic_size(settings, settings.topics.decided) >= BROKER_KILL_AT,
                f"{BROKER_KILL_AT} decisions: {position.tail()}",
            )
            broker = _kill_busiest_broker(settings, clusters)
            wait_until(
                lambda: topic_size(settings, settings.topics.decided) >= MASTER_KILL_AT,
                f"{MASTER_KILL_AT} decisions: {position.tail()}",
            )
            master = _kill_a_master(settings, clusters, "BOOK1")

            rejoined = time.monotonic()
            restarted = clusters.local.up()  # both come back; the old master as a replica
            rejoin_seconds = time.monotonic() - rejoined
            back = sorted(s.name for s in restarted if s.state is State.STARTED)
            assert back == sorted([broker.what, master.what.split()[-1]])
            assert generator.wait_exit() == 0, generator.tail()
            verdict = verify(settings, client)
            elapsed = time.monotonic() - started
            assert position.alive, position.tail()
            assert trader.alive, trader.tail()

        assert verdict.generated == COUNT
        assert topic_size(settings, settings.topics.new) == COUNT, "input neither lost nor doubled"

        check = _tradefast(settings, "positions", "check")
        assert check.returncode == 0, check.stdout + check.stderr
        # Rebuild restores positions wiped from the cluster, to the cent.
        client.flushdb()
        rebuild = _tradefast(settings, "positions", "rebuild")
        assert rebuild.returncode == 0, rebuild.stdout + rebuild.stderr
        assert stored_positions(client) == verdict.expected
        again = _tradefast(settings, "positions", "check")
        assert again.returncode == 0, again.stdout + again.stderr

    print(f"[cluster] {COUNT} inquiries at {RATE}/s over {verdict.keys} keys in {elapsed:.0f} s")
    print(f"[cluster] {broker.describe()}")
    print(f"[cluster] {master.describe()}")
    print(f"[cluster] both restarted and back in the clusters after {rejoin_seconds:.1f} s")
    print(
        f"[cluster] positions check: {check.stdout.strip()}; after a rebuild: "
        f"{again.stdout.strip()}"
    )
    print(verdict.summary("three brokers and a Redis Cluster, a broker and a master killed"))
