"""The benchmark report from a results set: every run is a row of the latency and the cost table,
the targets are judged, and the plot is a PNG file."""

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
        "cost": {
            "inquiries": int(rate * 20),
            "cpu_us_per_inquiry": {
                **{"generator": 50.0, "position": 40.0, "trader": 20.0, "gateway": 30.0},
                **{"kafka": 2e6 / rate, "redis": 3.0, "client": 8.0, "total": 143.0 + 2e6 / rate},
            },
            "kafka_requests": {
                "total": 6000,
                "per_second": {"position": 100.0, "total": 300.0},
                "per_inquiry": {"position": 0.1, "total": 0.3},
                "by_type_per_inquiry": {"Fetch": 0.2, "Produce": 0.08, "Heartbeat": 0.02},
            },
            "kafka_producer_waits_ms": {
                "generator": {"queue": rate / 4000, "round_trip": 0.6},
                "position": {"queue": 0.04, "round_trip": rate / 2500},
            },
        },
        "loadavg_before": [1.0, 1.0, 1.0],
        "loadavg": [1.5, 1.0, 1.0],
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
            "calibration": {"python_loop_per_us": 8.7, "sha256_mib_per_s": 1390.5},
        },
        "duration_s": 20.0,
        "warmup_s": 2.0,
        "broker_warmup": {**run("rust", 1_000, 9_000.0), "duration_s": 60.0},
        "hop": {
            "kafka_hop": hop,
            "kafka_hop_linger0": {**hop, "p50_us": 300.0},
            "redis_round_trip": {**hop, "p50_us": 40.0},
        },
        "e2e": [
            run("rust", 1_000, 1_500.0),
            run("rust", 10_000, 2_500.0),
            run("reference", 1_000, 3_000.0),
            run("reference", 10_000, 90_000.0, lost=7),
        ],
        "max": {
            "max_rate": 30_000.0,
            "short_step_max_rate": 30_000.0,
            "p99_limit_us": 100_000.0,
            "step_duration_s": 8.0,
            "confirm_duration_s": 24.0,
            "start_rate": 1_000.0,
            "steps": [
                {**run("rust", 30_000, 5_000.0), "passed": True, "confirming": False},
                {**run("rust", 40_000, 200_000.0), "passed": False, "confirming": False},
                {**run("rust", 30_000, 6_000.0), "passed": True, "confirming": True},
            ],
        },
        "frontier": [
            {
                "linger_ms": 5,
                "fetch_wait_ms": 5,
                "rate_target": 1_000.0,
                "rate_achieved": 998.0,
                "lost": 0,
                "p50_us": 12_000.0,
                "p99_us": 30_000.0,
                "cpu_us_per_inquiry": {"kafka": 250.0, "total": 700.0},
                "kafka_requests_per_inquiry": 1.25,
                "loadavg": [1.5, 1.0, 1.0],
            }
        ],
    }


def test_report_has_every_run_its_cost_the_targets_and_a_plot(tmp_path: Path) -> None:
    json_path, md_path, png_path = write_report(results(), tmp_path)
    assert json.loads(json_path.read_text()) == results()
    table = md_path.read_text()
    rows = [
        line
        for line in table.splitlines()
        if line.startswith("| rust") or line.startswith("| reference")
    ]
    # Four latency rows, five cost rows (the broker warm-up and the four runs), then four rows
    # of producer waits.
    assert len(rows) == 13
    assert "| reference | 10,000 | 10,000 | 200,000 | 7 | 90.00 |" in rows[3]
    assert rows[4].startswith("| rust (broker warm-up) | 1,000 | 50 | 40 | 20 | 30 | 2,000 | 3 |")
    # total, client, requests/s, requests per inquiry, Produce, Fetch, OffsetCommit, other
    assert rows[6].endswith("| **343** | 8 | 300 | 0.30 | 0.08 | 0.20 | 0.00 | 0.02 |"), rows[6]
    # Queue / round trip per producing service; a service without statistics shows dashes.
    assert rows[10] == "| rust | 10,000 | 2.50 / 0.60 | 0.04 / 4.00 | - / - |", rows[10]
    assert "calibration 8.7 Python loop iterations per µs" in table
    assert "p50 0.30 ms, p99 0.90 ms at linger 0" in table
    assert "**30,000 inquiries/s**" in table
    assert "climbing from 1,000/s" in table
    assert "| 5 | 5 | 1,000 | 998 | 0 | 12.00 | 30.00 | 250 | **700** | 1.25 | 1.5 |" in table
    assert "- CPU per inquiry ≤ 40 µs at 10,000/s: 343.0 µs (not met)" in table
    assert "- CPU per inquiry ≤ 400 µs at 1,000/s: 2,143.0 µs (not met)" in table
    assert "- p50 ≤ 5.00 ms at 10,000/s: 2.50 ms (met)" in table
    assert "- p99 ≤ 25.00 ms at 10,000/s: 10.00 ms (met)" in table
    assert "- p50 at 1,000/s ≤ 4x one linger-0 Kafka hop (1.20 ms): 1.50 ms (not met)" in table
    assert "- sustained ≥ 30,000/s (goal 50,000/s): 30,000/s (met)" in table
    assert png_path.read_bytes().startswith(b"\x89PNG")
    assert png_path.name == "2026-01-02T030405Z.png"


def dashboard_run(rate: float, frames_per_s: float, longest_ms: float) -> dict[str, Any]:
    return {
        "rate_target": rate,
        "updates_per_s": rate,
        "frames_per_s": frames_per_s,
        "longest_frame_ms": 33.0,
        "drawn_frames_per_s": 12.0,
        "long_tasks": 1 if longest_ms > 50 else 0,
        "longest_task_ms": longest_ms,
        "long_task_max_cpu_ms": longest_ms / 5,
        "main_busy_ms_per_s": 100.0,
        "main_busy_ms_per_1000_updates": 1e5 / rate,
        "main_cpu_ms_per_1000_updates": 5e4 / rate,
        "renderer_cpu_ms_per_1000_updates": 2e5 / rate,
        "main_ms_per_s": {"script": 20.0, "style": 5.0, "layout": 30.0},
        "display_lag_ms": {"p50": 40.0, "max": 90.0 if rate < 30_000 else 1_500.0, "last": 40.0},
        "reactions_ms": {
            "pause_ms": 20.0,
            "resume_ms": 25.0,
            "filter_ms": 60.0,
            "unfilter_ms": 45.0,
        },
        "replay": {"messages": 5000, "updates": 100_000, "speed": 1.0, "prepare_s": 1.0},
        "loadavg_before": [1.0, 1.0, 1.0],
        "loadavg": [1.2, 1.0, 1.0],
    }


def test_report_has_the_dashboard_section_and_its_targets(tmp_path: Path) -> None:
    found = results()
    found["dashboard"] = {
        "command": "tradefast bench dashboard",
        "recording": {"updates": 55_593, "updates_per_s": 11_164.3, "recorded_at": "2026-01-02"},
        "dist": "web/dist",
        "viewport": {"width": 1600, "height": 900},
        "warmup_s": 4.0,
        "duration_s": 10.0,
        "runs": [
            dashboard_run(1_000, 59.5, 20.0),
            dashboard_run(10_000, 58.0, 45.0),
            dashboard_run(30_000, 50.0, 70.0),
        ],
    }
    _, md_path, _ = write_report(found, tmp_path)
    table = md_path.read_text()
    section = table[table.index("## Dashboard") :]
    assert "55,593 inquiry updates recorded from a gateway at 11,164 updates/s" in section
    rows = [line for line in section.splitlines() if line[2:3].isdigit()]
    assert rows[1] == (
        "| 10,000 | 58.0 (33) | 12.0 | 0 (45; 9) | 10.0 | 5.0 | 20.0 | 20 / 5 / 30 | 40 / 90 "
        "| 20 / 25 / 60 / 45 | 1.0 → 1.2 |"
    )
    assert "- ≥ 55 frames/s at 10,000 updates/s: 58.0 (met)" in section
    assert "- no long task over 50 ms at 10,000 updates/s: 0, longest 45 ms (met)" in section
    assert (
        "- main-thread busy ≤ 20 ms per 1,000 updates at 10,000 updates/s: 10.0 ms (met)" in section
    )
    assert (
        "- filters and Pause react within 100 ms at 30,000 updates/s: slowest 60 ms (met)"
        in section
    )
    assert "display lag at most 1500.00 ms (under 1000.00 ms: not met)" in section
