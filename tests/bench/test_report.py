"""The benchmark report from a results set: every run is a table row, the targets are judged,
and the plot is a PNG file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tradefast.bench.suite import write_report


def run(core: str, rate: float, p50_us: float, lost: int = 0) -> dict[str, Any]:
    stage = {"p50_us": p50_us / 3, "p99_us": p50_us}
    return {
        "core": core,
        "rate_target": rate,
        "rate_achieved": rate,
        "sent": int(rate * 20),
        "received_final": int(rate * 20) - lost,
        "lost": lost,
        "p50_us": p50_us,
        "p90_us": p50_us * 2,
        "p99_us": p50_us * 4,
        "p999_us": p50_us * 8,
        "max_us": p50_us * 10,
        "tail_p99_us": p50_us * 4,
        "stages": {
            "created_to_enriched": stage,
            "enriched_to_decided": stage,
            "decided_to_client": stage,
        },
        "percentiles_us": [[p, p50_us * (1 + p / 10)] for p in (0.0, 50.0, 99.0, 99.9, 100.0)],
        "cpu": {"position": 1.0, "trader": 0.5, "gateway": 0.7, "generator": 2.0, "client": 0.4},
    }


def results() -> dict[str, Any]:
    hop = {"count": 2000, "p50_us": 400.0, "p90_us": 500.0, "p99_us": 900.0}
    return {
        "date": "2026-01-02T03:04:05Z",
        "command": "make bench",
        "host": {
            "cpus": 2,
            "loadavg_before": [1, 1, 1],
            "loadavg_after": [2, 2, 2],
            "python": "3.11.7",
        },
        "duration_s": 20.0,
        "warmup_s": 2.0,
        "hop": {"kafka_hop": hop, "redis_round_trip": {**hop, "p50_us": 40.0}},
        "e2e": [
            run("rust", 1_000, 1_500.0),
            run("rust", 10_000, 2_500.0),
            run("reference", 1_000, 3_000.0),
            run("reference", 10_000, 90_000.0, lost=7),
        ],
        "max": {
            "max_rate": 30_000.0,
            "p99_limit_us": 100_000.0,
            "step_duration_s": 8.0,
            "steps": [
                {**run("rust", 30_000, 5_000.0), "passed": True},
                {**run("rust", 40_000, 200_000.0), "passed": False},
            ],
        },
    }


def test_report_has_every_run_the_targets_and_a_plot(tmp_path: Path) -> None:
    json_path, md_path, png_path = write_report(results(), tmp_path)
    assert json.loads(json_path.read_text()) == results()
    table = md_path.read_text()
    rows = [
        line
        for line in table.splitlines()
        if line.startswith("| rust") or line.startswith("| reference")
    ]
    assert len(rows) == 4
    assert "| reference | 10,000 | 10,000 | 200,000 | 7 | 90.00 |" in rows[3]
    assert "**30,000 inquiries/s**" in table
    assert "- p50 ≤ 2 ms at 10,000/s: 2.50 ms (not met)" in table
    assert "- p99 ≤ 10 ms at 10,000/s: 10.00 ms (met)" in table
    assert "- sustained ≥ 50,000/s: 30,000/s (not met)" in table
    assert png_path.read_bytes().startswith(b"\x89PNG")
    assert png_path.name == "2026-01-02T030405Z.png"
