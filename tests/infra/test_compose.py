"""docker-compose.yml offers the same servers as `tradefast infra up` (no Docker here to run it)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from tradefast import config
from tradefast.infra.kafka_jars import KAFKA_VERSION

COMPOSE_FILE = Path(__file__).resolve().parents[2] / "docker-compose.yml"


def _services() -> dict[str, Any]:
    services: dict[str, Any] = yaml.safe_load(COMPOSE_FILE.read_text())["services"]
    return services


def test_compose_has_kafka_redis_and_a_topic_job() -> None:
    assert set(_services()) == {"kafka", "redis", "topics"}


def test_kafka_is_the_official_image_of_our_version_in_kraft_mode_on_9092() -> None:
    kafka = _services()["kafka"]
    env = kafka["environment"]
    assert kafka["image"] == f"apache/kafka:{KAFKA_VERSION}"
    assert kafka["ports"] == ["127.0.0.1:9092:9092"]
    assert env["KAFKA_PROCESS_ROLES"] == "broker,controller"
    assert "HOST://127.0.0.1:9092" in env["KAFKA_ADVERTISED_LISTENERS"]
    assert env["KAFKA_NUM_PARTITIONS"] == config.load({}).partitions == 6
    assert "kafka-broker-api-versions.sh" in " ".join(kafka["healthcheck"]["test"])


def test_redis_keeps_an_append_only_file_on_6379() -> None:
    redis = _services()["redis"]
    assert redis["image"].startswith("redis:")
    assert redis["ports"] == ["127.0.0.1:6379:6379"]
    assert redis["command"][redis["command"].index("--appendonly") + 1] == "yes"
    assert redis["healthcheck"]["test"] == ["CMD", "redis-cli", "ping"]
    assert any(volume.endswith(":/data") for volume in redis["volumes"])


def test_topic_job_creates_the_project_topics_after_kafka_is_healthy() -> None:
    job = _services()["topics"]
    assert job["depends_on"] == {"kafka": {"condition": "service_healthy"}}
    assert tuple(job["environment"]["TOPICS"].split()) == config.Topics().all
    assert job["environment"]["PARTITIONS"] == 6
    script = job["command"][0]
    assert "--if-not-exists" in script and '--partitions "$$PARTITIONS"' in script


def test_default_addresses_match_the_compose_ports() -> None:
    defaults = config.load({})
    assert defaults.kafka_bootstrap == "127.0.0.1:9092"
    assert defaults.redis_url == "redis://127.0.0.1:6379/0"
