"""`tradefast bench e2e` end to end on the suite's servers: it runs its own pipeline and client,
accounts for every inquiry and writes every figure the report needs, its cost included."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from confluent_kafka.admin import AdminClient
from conftest import Infra

FIELDS = {
    "rate_target",
    "rate_achieved",
    "sent",
    "received_final",
    "lost",
    "p50_us",
    "p90_us",
    "p99_us",
    "p999_us",
    "max_us",
    "stages",
    "cpu",
    "core",
    "cost",
    "loadavg_before",
    "loadavg",
    "host",
    "floor",
    "broker_warmup",
}
PIPELINE = ("generator", "position", "trader", "gateway", "kafka", "redis")
CLIENTS = ("generator", "position", "trader", "gateway")


def pipeline_topics_left(infra: Infra, before: set[str]) -> set[str]:
    """The topics of a bench pipeline's own prefix ("bench-...") that exist now and did not
    before, once the broker's metadata has caught up with any deletion (it may list a deleted
    topic for a moment). The floor's shared "bench.hop" topic stays, on purpose."""
    admin = AdminClient({"bootstrap.servers": infra.kafka_bootstrap})
    deadline = time.monotonic() + 30
    while True:
        now = set(admin.list_topics(timeout=30).topics)
        left = {name for name in now - before if name.startswith("bench-")}
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.5)


def run_e2e(infra: Infra, tmp_path: Path, *args: str) -> dict[str, Any]:
    """`tradefast bench e2e ARGS` on the suite's servers, short; the figures it wrote."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRADEFAST_")}
    env["TRADEFAST_KAFKA_BOOTSTRAP"] = infra.kafka_bootstrap
    env["TRADEFAST_REDIS_URL"] = infra.redis_url
    env["TRADEFAST_HOME"] = str(tmp_path / "home")
    out = tmp_path / "e2e.json"
    command = ["bench", "e2e", "--duration", "2", "--warmup", "0.5"]
    command += ["--broker-warmup", "1", "--hop-count", "20", "--json", str(out), *args]
    result = subprocess.run(
        [sys.executable, "-m", "tradefast", *command],
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    figures: dict[str, Any] = json.loads(out.read_text())
    return figures


@pytest.mark.timeout(300)
def test_e2e_accounts_for_every_inquiry_and_writes_the_figures(
    infra: Infra, tmp_path: Path
) -> None:
    admin = AdminClient({"bootstrap.servers": infra.kafka_bootstrap})
    before = set(admin.list_topics(timeout=30).topics)
    figures = run_e2e(infra, tmp_path, "--rate", "200", "--core", "reference")
    # Each step's pipeline deleted the topics of its own prefix.
    assert pipeline_topics_left(infra, before) == set()
    assert set(figures) >= FIELDS
    assert (figures["sent"], figures["received_final"], figures["lost"]) == (400, 400, 0)
    assert figures["core"] == "reference"
    assert set(figures["stages"]) == {
        "created_to_enriched",
        "enriched_to_decided",
        "decided_to_client",
    }
    # Plus the broker and Redis when they run on this machine (they do here).
    assert set(figures["cpu"]) == {
        *("position", "trader", "gateway", "generator", "client", "kafka", "redis")
    }
    assert 0 < figures["p50_us"] <= figures["p99_us"] <= figures["max_us"]
    cost = figures["cost"]
    cpu = cost["cpu_us_per_inquiry"]
    for name in PIPELINE:
        assert cpu[name] > 0, name
    assert cpu["total"] == pytest.approx(sum(cpu[name] for name in PIPELINE), abs=0.5)
    # Every inquiry is produced three times and fetched by three consumers.
    requests = cost["kafka_requests"]
    for name in CLIENTS:
        assert requests["per_inquiry"][name] > 0, name
        assert requests["per_second"][name] > 0, name
    assert requests["by_type_per_inquiry"]["Produce"] > 0
    assert requests["by_type_per_inquiry"]["Fetch"] > 0
    assert requests["total"] > 0
    # Each producing service reports how long its messages queued and its requests took.
    waits = cost["kafka_producer_waits_ms"]
    assert set(waits) == {"generator", "position", "trader"}
    for name, wait in waits.items():
        assert wait["queue"] >= 0 and wait["round_trip"] > 0, name
    # Each consuming service counts its batches, so its CPU per batch is reported.
    for name in ("position", "trader", "gateway"):
        assert cost["batches"][name] > 0, name
        assert cost["cpu_us_per_batch"][name] > 0, name
    floor = figures["floor"]
    assert {"kafka_hop", "kafka_hop_linger0", "redis_round_trip"} == set(floor)
    assert all(hop["count"] == 20 and hop["p50_us"] > 0 for hop in floor.values())
    calibration = figures["host"]["calibration"]
    assert calibration["python_loop_per_us"] > 0 and calibration["sha256_mib_per_s"] > 0
    assert len(figures["host"]["loadavg_before"]) == len(figures["host"]["loadavg_after"]) == 3
    warm = figures["broker_warmup"]
    assert (warm["sent"], warm["lost"]) == (1000, 0)
    assert warm["cost"]["cpu_us_per_inquiry"]["kafka"] > 0


@pytest.mark.timeout(300)
def test_e2e_sets_the_cost_of_an_original_format_client_beside(
    infra: Infra, tmp_path: Path
) -> None:
    figures = run_e2e(infra, tmp_path, "--rate", "100", "200", "--original-client")
    steps = figures["steps"]
    assert [(s["rate_target"], "original_client" in s) for s in steps] == [
        *((100, False), (100, True), (200, False), (200, True))
    ]
    assert all(s["lost"] == 0 for s in steps)
    for cost, step in zip(figures["original_client_cost"], steps[1::2], strict=True):
        seen = cost["original_client"]
        sent = step["sent"]
        # Every state of every inquiry, each its own frame, nothing lost.
        assert (seen["received_final"], seen["lost"]) == (sent, 0)
        assert seen["states"] == seen["frames"] == 3 * sent
        assert cost["gateway_us_per_inquiry_without"] > 0
        assert cost["gateway_us_per_inquiry_with"] > 0
        assert step["cost"]["cpu_us_per_inquiry"]["original_client"] > 0
        # The bench's clients are not part of the pipeline's cost.
        cpu = step["cost"]["cpu_us_per_inquiry"]
        assert cpu["total"] == pytest.approx(sum(cpu[name] for name in PIPELINE), abs=0.5)
    assert {"host", "floor", "broker_warmup"} <= set(figures)


@pytest.mark.timeout(300)
def test_frontier_runs_each_setting_on_its_own_pipeline(infra: Infra, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRADEFAST_")}
    env["TRADEFAST_KAFKA_BOOTSTRAP"] = infra.kafka_bootstrap
    env["TRADEFAST_REDIS_URL"] = infra.redis_url
    env["TRADEFAST_HOME"] = str(tmp_path / "home")
    out = tmp_path / "frontier.json"
    command = ["bench", "frontier", "--points", "0:0", "7:3", "--rates", "200"]
    command += ["--duration", "2", "--warmup", "0.5", "--json", str(out)]
    result = subprocess.run(
        [sys.executable, "-m", "tradefast", *command],
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    rows = json.loads(out.read_text())
    assert [(r["linger_ms"], r["fetch_wait_ms"], r["lost"]) for r in rows] == [(0, 0, 0), (7, 3, 0)]
    for row in rows:
        assert row["cpu_us_per_inquiry"]["total"] > 0
        assert row["kafka_requests_per_inquiry"] > 0
    assert "| 7 | 3 | 200 |" in result.stdout
    # The services ran with the timers of their row.
    logs = sorted((tmp_path / "home" / "bench").glob("*/position.log"))
    assert ["linger 7 ms, fetch wait 3 ms" in log.read_text() for log in logs].count(True) == 1


def test_frontier_points_are_checked() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "tradefast", "bench", "frontier", "--points", "5"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert "expected LINGER_MS:FETCH_WAIT_MS" in result.stderr
