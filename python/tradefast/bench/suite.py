"""`tradefast bench suite` (`make bench`): everything in one go on one machine, then the report.

The machine's calibration and load; a broker warm-up at a moderate rate on the Rust pipeline; the
one-hop floor (services' settings and linger 0); e2e at 1,000 and 10,000 inquiries/s with the
Rust core, then the same with the Python reference core (each core on its own fresh pipeline),
each step with its cost (CPU and Kafka requests per inquiry); the max-rate search on the Rust
pipeline; the frontier of Kafka's timers (each setting on its own fresh pipeline, `bench
frontier`); a few seconds of the gateway's frames at about 10,000 updates/s recorded, and, once the
servers are stopped, the dashboard alone in Chromium under those frames replayed at 1,000, 10,000
and 30,000 updates/s (`bench dashboard`); then bench/results/<date>.json, .md and .png, and the
tables printed.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

from tradefast import config
from tradefast.bench import dashboard, frames, plot, record_frames, report
from tradefast.bench.calibrate import describe_host, host_after, host_before
from tradefast.bench.e2e import (
    WARMUP_RATE,
    BenchError,
    describe,
    describe_floor,
    running_bench,
    servers_for,
)
from tradefast.bench.frontier import POINTS, run_frontier
from tradefast.bench.hop import measure_floor
from tradefast.bench.max import START_RATE, search
from tradefast.config import Settings

RATES = (1_000.0, 10_000.0)
HOP_COUNT, HOP_WARMUP = 2000, 200


def register(actions: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = actions.add_parser(
        "suite", help="hop floor, e2e on both cores with their cost, max rate; writes the report"
    )
    parser.add_argument("--out", type=Path, default=Path("bench/results"), help="report folder")
    parser.add_argument("--duration", type=float, default=20.0, help="seconds per e2e run")
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds out of the histograms")
    parser.add_argument(
        "--broker-warmup",
        type=float,
        default=60.0,
        help="seconds of load before measuring, so the broker's JVM is warm (default 60)",
    )
    parser.add_argument(
        "--broker-warmup-rate", type=float, default=WARMUP_RATE, help="inquiries/s of the warm-up"
    )
    parser.add_argument("--hop-count", type=int, default=HOP_COUNT, help="one-hop floor samples")
    parser.add_argument(
        "--max-start", type=float, default=START_RATE, help="max search: first rate, then doubled"
    )
    parser.add_argument("--max-duration", type=float, default=8.0, help="max search: step length")
    parser.add_argument(
        "--frontier-duration",
        type=float,
        default=10.0,
        help="seconds per run of the timers' frontier (0: skip it)",
    )
    parser.set_defaults(func=_run)


def run_suite(settings: Settings, args: argparse.Namespace) -> dict[str, Any]:
    host = host_before()
    print(describe_host(host), flush=True)
    e2e: list[dict[str, Any]] = []
    found: dict[str, Any] = {}
    warm: dict[str, Any] | None = None
    floor: dict[str, dict[str, float]] = {}
    for core in ("rust", "reference"):
        with running_bench(settings, core) as bench:
            if core == "rust":
                warm = bench.warm_up(args.broker_warmup, args.broker_warmup_rate)
                floor = measure_floor(settings, args.hop_count, max(1, args.hop_count // 10))
                print(describe_floor(floor), flush=True)
            for rate in RATES:
                figures = bench.step(rate, args.duration, args.warmup)
                print(describe(figures), flush=True)
                e2e.append(figures)
            if core == "rust":
                print("max-rate search (rust core)", flush=True)
                found = search(bench, args.max_start, args.max_duration, args.warmup)
    frontier = (
        run_frontier(settings, POINTS, RATES, args.frontier_duration, args.warmup)
        if args.frontier_duration > 0
        else []
    )
    print("recording gateway frames for the dashboard benchmark", flush=True)
    recording = record_frames.record_pipeline(
        settings, record_frames.DEFAULT_RATE, record_frames.DEFAULT_SECONDS
    )
    print(record_frames.describe(recording), flush=True)
    frames.write(record_frames.default_path(settings), recording)
    return {
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "command": "make bench",
        "host": host_after(host),
        "duration_s": args.duration,
        "warmup_s": args.warmup,
        "broker_warmup": warm,
        "hop": floor,
        "e2e": e2e,
        "max": found,
        "frontier": frontier,
    }


def write_report(results: dict[str, Any], out: Path) -> tuple[Path, Path, Path]:
    out.mkdir(parents=True, exist_ok=True)
    stem = out / results["date"].replace(":", "")
    paths = stem.with_suffix(".json"), stem.with_suffix(".md"), stem.with_suffix(".png")
    paths[0].write_text(json.dumps(results, indent=2) + "\n")
    paths[1].write_text(report.markdown(results))
    plot.plot(results, paths[2])
    return paths


def run_dashboard(settings: Settings) -> dict[str, Any]:
    """The page alone under the frames `run_suite` recorded; the pipeline and the servers it
    started are stopped by then, so the two cores are the page's."""
    print("dashboard in Chromium under the recorded frames", flush=True)
    return dashboard.run(dashboard.Options(record_frames.default_path(settings)))


def _run(args: argparse.Namespace) -> int:
    try:
        settings = config.load()
        with servers_for(settings):
            results = run_suite(settings, args)
        results["dashboard"] = run_dashboard(settings)
    except OSError as exc:
        raise BenchError(str(exc)) from exc
    json_path, md_path, png_path = write_report(results, args.out)
    print()
    print(md_path.read_text())
    print(f"written: {json_path}, {md_path}, {png_path}")
    return 0
