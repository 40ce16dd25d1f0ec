"""Fixtures shared by the whole suite: one real Kafka broker and one real Redis per session.

`infra` starts both on free ports in a temporary folder (or uses those that
TRADEFAST_KAFKA_BOOTSTRAP / TRADEFAST_REDIS_URL name, if they answer) and stops them at the end.
`settings` gives each test its own topic prefix (the four pipeline topics created) and an empty
Redis database, so tests never see each other's messages or keys. On a Redis the suite did not
start, that database is one the suite claims for itself (see redis_claim.py): the data of others
is never wiped.

`clusters` (for the tests marked `cluster`) starts a Kafka cluster of three combined broker and
controller nodes and a Redis Cluster of three masters with a replica each, once per session on
free loopback ports with the infra API (as `tradefast infra up --brokers 3 --redis-cluster`
does), and stops them at the end; `cluster_settings` gives a test topics of its own there.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis
import redis_claim
from tradefast import config
from tradefast.config import Settings
from tradefast.infra.local import REDIS, LocalInfra
from tradefast.infra.netcheck import free_port, free_ports_in_a_row
from tradefast.infra.redis_clients import sync_client
from tradefast.infra.topics import ensure_topics

# Three JVMs starting on two shared cores, then a Redis Cluster forming.
CLUSTER_START_TIMEOUT = 240.0


@dataclass(frozen=True)
class Infra:
    kafka_bootstrap: str
    redis_url: str


@pytest.fixture(scope="session")
def infra(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Infra]:
    home = tmp_path_factory.mktemp("infra")
    bootstrap = os.environ.get("TRADEFAST_KAFKA_BOOTSTRAP") or f"127.0.0.1:{free_port()}"
    redis_url = os.environ.get("TRADEFAST_REDIS_URL") or f"redis://127.0.0.1:{free_port()}/0"
    local = LocalInfra(
        config.load(
            {
                "TRADEFAST_HOME": str(home),
                "TRADEFAST_KAFKA_BOOTSTRAP": bootstrap,
                "TRADEFAST_REDIS_URL": redis_url,
            }
        ),
        ephemeral=True,
    )
    started = local.up()
    ours = any(server.name == REDIS and server.record is not None for server in started)
    try:
        if not ours:
            redis_url = redis_claim.claim_database(redis_url)
        yield Infra(kafka_bootstrap=bootstrap, redis_url=redis_url)
        if not ours:
            redis_claim.release(redis_url)
    finally:
        local.down()  # stops only what `up` started; servers named by the environment stay


def settings_for(infra: Infra, home: Path, prefix: str) -> Settings:
    """Settings on `infra` with their own topic prefix, home and free service ports."""
    return config.load(
        {
            "TRADEFAST_KAFKA_BOOTSTRAP": infra.kafka_bootstrap,
            "TRADEFAST_REDIS_URL": infra.redis_url,
            "TRADEFAST_TOPIC_PREFIX": prefix,
            "TRADEFAST_HOME": str(home),
            "TRADEFAST_GATEWAY_PORT": str(free_port()),
            "TRADEFAST_DASHBOARD_PORT": str(free_port()),
            "TRADEFAST_GATEWAY_METRICS_PORT": str(free_port()),
        }
    )


@pytest.fixture
def settings(infra: Infra, tmp_path: Path) -> Settings:
    home = tmp_path / "home"
    home.mkdir()
    test_settings = settings_for(infra, home, prefix=f"t{uuid.uuid4().hex[:12]}.")
    ensure_topics(test_settings)
    redis_claim.reset(test_settings.redis_url)
    return test_settings


@pytest.fixture
def settings_env(settings: Settings) -> dict[str, str]:
    """The TRADEFAST_* variables equal to `settings`, for services started as subprocesses."""
    return settings.to_env()


@pytest.fixture
def redis_client(settings: Settings) -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(settings.redis_url)
    try:
        yield client
    finally:
        client.close()


@dataclass(frozen=True)
class Clusters:
    local: LocalInfra
    settings: Settings


@pytest.fixture(scope="session")
def clusters(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Clusters]:
    home = tmp_path_factory.mktemp("clusters")
    # Below the ephemeral range: no client connection takes them before the nodes bind them.
    kafka = free_ports_in_a_row(3)
    redis_first = free_ports_in_a_row(6, avoid=range(kafka, kafka + 3))
    settings = config.load(
        {
            "TRADEFAST_HOME": str(home),
            "TRADEFAST_KAFKA_BROKERS": "3",
            "TRADEFAST_KAFKA_BOOTSTRAP": f"127.0.0.1:{kafka}",
            "TRADEFAST_REDIS_URL": f"redis+cluster://127.0.0.1:{redis_first}",
        }
    )
    local = LocalInfra(settings, start_timeout=CLUSTER_START_TIMEOUT, ephemeral=True)
    try:
        local.up()
        yield Clusters(local, settings)
    finally:
        local.down()


@pytest.fixture
def cluster_settings(clusters: Clusters, tmp_path: Path) -> Settings:
    """Settings on the clusters with topics of their own (3 replicas, 2 in sync) and an empty
    Redis Cluster (every key there is the suite's: it started the cluster)."""
    home = tmp_path / "home"
    home.mkdir()
    settings = config.load(
        {
            **clusters.settings.to_env(),
            "TRADEFAST_HOME": str(home),
            "TRADEFAST_TOPIC_PREFIX": f"c{uuid.uuid4().hex[:12]}.",
            "TRADEFAST_GATEWAY_PORT": str(free_port()),
            "TRADEFAST_DASHBOARD_PORT": str(free_port()),
        }
    )
    ensure_topics(settings)
    with sync_client(settings.redis_url, timeout=10.0) as client:
        client.flushdb()
    return settings
