"""The settings and bookkeeping of a local cluster, without starting one: the bootstrap list of
TRADEFAST_KAFKA_BROKERS, Redis Cluster URLs, and `status`, `up` and `down` on nodes recorded in
the state file (stand-in processes)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tradefast import config
from tradefast.infra.cli import DEFAULT_CLUSTER_URL, chosen_layout
from tradefast.infra.errors import InfraError
from tradefast.infra.kafka_config import consumer_config, producer_config
from tradefast.infra.local import LocalInfra, State
from tradefast.processes import ProcessRecord, is_running, spawn
from tradefast.redis_url import BadRedisUrl, parse_cluster


def test_three_brokers_from_one_address_are_three_consecutive_ports() -> None:
    settings = config.load(
        {"TRADEFAST_KAFKA_BROKERS": "3", "TRADEFAST_KAFKA_BOOTSTRAP": "127.0.0.1:9092"}
    )
    assert settings.kafka_bootstrap == "127.0.0.1:9092,127.0.0.1:9093,127.0.0.1:9094"
    assert (settings.kafka_replication, settings.kafka_min_insync) == (3, 2)
    assert config.load(settings.to_env()) == settings
    single = config.load({})
    assert (single.kafka_brokers, single.kafka_replication, single.kafka_min_insync) == (1, 1, 1)


def test_a_bootstrap_list_of_another_length_is_refused() -> None:
    with pytest.raises(config.ConfigError, match="lists 2 brokers"):
        config.load({"TRADEFAST_KAFKA_BROKERS": "3", "TRADEFAST_KAFKA_BOOTSTRAP": "h:1,h:2"})


def test_cluster_urls_name_their_seed_nodes_and_keep_credentials() -> None:
    parsed = parse_cluster(
        "rediss+cluster://u:secret@10.0.0.1:7000,10.0.0.2:7001?ssl_cert_reqs=none"
    )
    assert parsed.nodes == (("10.0.0.1", 7000), ("10.0.0.2", 7001))
    assert parsed.node_urls[1] == "rediss://u:secret@10.0.0.2:7001/0?ssl_cert_reqs=none"
    with pytest.raises(BadRedisUrl, match="database 0 only"):
        parse_cluster("redis+cluster://127.0.0.1:7000/3")
    with pytest.raises(config.ConfigError, match="not host:port"):
        config.load({"TRADEFAST_REDIS_URL": "redis+cluster://127.0.0.1"})


def test_a_librdkafka_settings_file_reaches_every_client(tmp_path: Path) -> None:
    file = tmp_path / "client.properties"
    file.write_text("# TLS and SASL\nsecurity.protocol = SASL_SSL\nsasl.mechanisms=PLAIN\n")
    settings = config.load({"TRADEFAST_KAFKA_PROPERTIES": str(file)})
    for client in (producer_config(settings), consumer_config(settings, "g")):
        assert client["security.protocol"] == "SASL_SSL"
        assert client["sasl.mechanisms"] == "PLAIN"
    file.write_text("security.protocol\n")
    with pytest.raises(config.ConfigError, match="line 1 is not key=value"):
        config.load({"TRADEFAST_KAFKA_PROPERTIES": str(file)})


def test_the_up_flags_stand_for_the_cluster_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TRADEFAST_REDIS_URL", raising=False)
    assert chosen_layout(3, True) == {
        "TRADEFAST_KAFKA_BROKERS": "3",
        "TRADEFAST_REDIS_URL": DEFAULT_CLUSTER_URL,
    }
    monkeypatch.setenv("TRADEFAST_REDIS_URL", "redis+cluster://127.0.0.1:7100")
    assert chosen_layout(None, True) == {}


def _record(home: Path, entries: dict[str, tuple[str, ProcessRecord]]) -> None:
    state = home / "infra" / "state.json"
    state.parent.mkdir(parents=True, exist_ok=True)
    state.write_text(
        json.dumps(
            {name: {"address": a, "process": r.to_json()} for name, (a, r) in entries.items()}
        )
    )


def _stand_in(home: Path, name: str) -> ProcessRecord:
    (home / name).mkdir(parents=True)
    return spawn(["sleep", "600"], home / name / "out.log", home, die_with_parent=True)


def test_status_and_down_cover_every_recorded_node_of_any_layout(tmp_path: Path) -> None:
    nodes = {
        f"kafka-{n}": (f"127.0.0.1:{29190 + n}", _stand_in(tmp_path, f"kafka-{n}"))
        for n in (1, 2, 3)
    }
    nodes["redis-1"] = ("redis://127.0.0.1:29290/0", _stand_in(tmp_path, "redis-1"))
    _record(tmp_path, nodes)
    # Settings of the default layout: the recorded cluster nodes are still shown and stopped.
    infra = LocalInfra(config.load({"TRADEFAST_HOME": str(tmp_path)}))
    shown = {s.name: s.state for s in infra.status()}
    assert {name: shown[name] for name in nodes} == dict.fromkeys(nodes, State.RUNNING)

    with pytest.raises(InfraError, match="kafka-1 started by tradefast still runs"):
        infra.up()  # a single broker would want the ports of a cluster that still runs
    assert all(is_running(record) for _, record in nodes.values())

    stopped = infra.down(wipe=True)
    assert sorted(s.name for s in stopped) == sorted(nodes)
    assert not any(is_running(record) for _, record in nodes.values())
    assert not any((tmp_path / name).exists() for name in nodes)
