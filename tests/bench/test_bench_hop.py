"""`tradefast bench hop` measures real round trips and writes its figures as JSON."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tradefast.bench.hop import LOWEST_LATENCY, measure_kafka_hop, measure_redis_round_trip
from tradefast.cli import main
from tradefast.config import Settings


def test_every_kafka_hop_is_measured(settings: Settings) -> None:
    histogram = measure_kafka_hop(settings, count=50, warmup=5)
    assert histogram.get_total_count() == 50
    assert 0 < histogram.get_value_at_percentile(50) <= histogram.get_max_value()


def test_the_lowest_latency_hop_is_measured_at_linger_0(settings: Settings) -> None:
    assert LOWEST_LATENCY[0]["linger.ms"] == 0
    histogram = measure_kafka_hop(settings, count=50, warmup=5, lowest_latency=True)
    assert histogram.get_total_count() == 50
    assert 0 < histogram.get_value_at_percentile(50) <= histogram.get_max_value()


def test_every_redis_round_trip_is_measured(settings: Settings) -> None:
    histogram = measure_redis_round_trip(settings, count=200, warmup=10)
    assert histogram.get_total_count() == 200
    assert histogram.get_min_value() > 0


def test_cli_writes_the_figures(
    settings_env: dict[str, str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for name, value in settings_env.items():
        monkeypatch.setenv(name, value)
    out = tmp_path / "hop.json"
    assert main(["bench", "hop", "--count", "20", "--warmup", "2", "--json", str(out)]) == 0
    report = json.loads(out.read_text())
    assert set(report) == {"kafka_hop", "kafka_hop_linger0", "redis_round_trip"}
    for figures in report.values():
        assert figures["count"] == 20
        assert figures["p50_us"] <= figures["p99_us"] <= figures["max_us"]


def test_cli_says_to_start_the_servers_when_none_answer(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("TRADEFAST_KAFKA_BOOTSTRAP", "127.0.0.1:1")
    assert main(["bench", "hop", "--count", "1"]) == 1
    err = capsys.readouterr().err
    assert (
        err.startswith("tradefast bench hop: no Kafka answers")
        and "run `tradefast infra up`" in err
    )
