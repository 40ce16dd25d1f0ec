"""Shared client settings, the settings' environment form, and the Docker probe."""

from __future__ import annotations

from pathlib import Path

import pytest
from tradefast import config
from tradefast.config import Settings
from tradefast.infra.compose import docker_engine_available
from tradefast.infra.kafka_config import consumer_config, producer_config


def test_producer_is_idempotent_with_acks_all_and_does_not_linger() -> None:
    producer = producer_config(config.load({}))
    assert producer["enable.idempotence"] is True
    assert producer["acks"] == "all"
    # No timer by default: the lowest latency at the rates a desk sees (docs/bench.md).
    assert producer["linger.ms"] == 0
    assert producer["bootstrap.servers"] == "127.0.0.1:9092"


def test_consumer_uses_range_assignment_manual_commits_and_returns_on_first_byte() -> None:
    consumer = consumer_config(config.load({}), group="position-service")
    assert consumer["group.id"] == "position-service"
    assert consumer["partition.assignment.strategy"] == "range"
    assert consumer["enable.auto.commit"] is False
    assert consumer["fetch.min.bytes"] == 1


def test_the_timers_come_from_the_settings() -> None:
    timed = config.load({"TRADEFAST_KAFKA_LINGER_MS": "5", "TRADEFAST_KAFKA_FETCH_WAIT_MS": "20"})
    assert producer_config(timed)["linger.ms"] == 5
    consumer = consumer_config(timed, group="g")
    # The broker holds the fetch for the wait, since 1 MiB never gathers first at these rates.
    assert consumer["fetch.wait.max.ms"] == 20
    assert consumer["fetch.min.bytes"] == 1024 * 1024
    with pytest.raises(config.ConfigError, match="TRADEFAST_KAFKA_FETCH_WAIT_MS"):
        config.load({"TRADEFAST_KAFKA_FETCH_WAIT_MS": "-1"})


def test_overrides_win() -> None:
    producer = producer_config(config.load({}), {"linger.ms": 5, "client.id": "gen"})
    assert producer["linger.ms"] == 5
    assert producer["client.id"] == "gen"


def test_settings_env_loads_back_into_the_same_settings(
    settings: Settings, settings_env: dict[str, str]
) -> None:
    assert config.load(settings_env) == settings
    assert settings_env["TRADEFAST_TOPIC_PREFIX"] == settings.topics.prefix


def test_to_env_round_trips_optional_and_list_values() -> None:
    custom = config.load(
        {"TRADEFAST_WS_TOKEN": "secret", "TRADEFAST_ALLOWED_ORIGINS": "http://a, http://b"}
    )
    assert config.load(custom.to_env()) == custom
    plain = config.load({})
    assert config.load(plain.to_env()) == plain


def test_no_docker_engine_when_no_docker_client(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    assert docker_engine_available() is False
