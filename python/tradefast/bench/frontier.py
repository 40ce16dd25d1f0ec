"""`tradefast bench frontier`: what Kafka's timers trade, latency against cost, side by side.

A producer's linger and a consumer's fetch wait gather messages into fewer requests, and on a
small machine every broker request costs ~150-250 µs of broker CPU; but they add their wait to
every hop at low rates. For each setting tried, a fresh pipeline runs at each rate, and the table
gives latency beside CPU and Kafka requests per inquiry (docs/bench.md says why the default
sits where it does).
"""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from tradefast import config
from tradefast.bench.e2e import BenchError, describe, running_bench, servers_for
from tradefast.config import Settings

RATES = (1_000.0, 10_000.0)


@dataclass(frozen=True)
class Timers:
    linger_ms: int
    fetch_wait_ms: int

    def __str__(self) -> str:
        return f"linger {self.linger_ms} ms, fetch wait {self.fetch_wait_ms} ms"


# Lowest latency, the default, a producer-only wait, and both timers at two lengths.
POINTS = (Timers(0, 0), Timers(1, 0), Timers(5, 0), Timers(5, 5), Timers(20, 20))


def run_frontier(
    settings: Settings,
    points: tuple[Timers, ...],
    rates: tuple[float, ...],
    duration: float,
    warmup: float,
) -> list[dict[str, Any]]:
    """One row per (setting, rate): the setting, latency, CPU and Kafka requests per inquiry."""
    rows = []
    for point in points:
        timed = replace(
            settings, kafka_linger_ms=point.linger_ms, kafka_fetch_wait_ms=point.fetch_wait_ms
        )
        print(f"frontier: {point}", flush=True)
        with running_bench(timed, "rust") as bench:
            for rate in rates:
                figures = bench.step(rate, duration, warmup)
                print(describe(figures), flush=True)
                rows.append(_row(point, figures))
    return rows


def _row(point: Timers, figures: dict[str, Any]) -> dict[str, Any]:
    cost = figures["cost"]
    return {
        "linger_ms": point.linger_ms,
        "fetch_wait_ms": point.fetch_wait_ms,
        "rate_target": figures["rate_target"],
        "rate_achieved": figures["rate_achieved"],
        "lost": figures["lost"],
        "p50_us": figures["p50_us"],
        "p99_us": figures["p99_us"],
        "cpu_us_per_inquiry": cost["cpu_us_per_inquiry"],
        "kafka_requests_per_inquiry": cost["kafka_requests"]["per_inquiry"]["total"],
        "loadavg": figures["loadavg"],
    }


def frontier_table(rows: list[dict[str, Any]]) -> list[str]:
    lines = [
        "| linger ms | fetch wait ms | offered/s | achieved/s | lost | p50 ms | p99 ms "
        "| kafka µs | total µs | requests/inquiry | load |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        cpu = row["cpu_us_per_inquiry"]
        lines.append(
            f"| {row['linger_ms']} | {row['fetch_wait_ms']} | {row['rate_target']:,.0f} "
            f"| {row['rate_achieved']:,.0f} | {row['lost']:,} | {row['p50_us'] / 1000:.2f} "
            f"| {row['p99_us'] / 1000:.2f} | {cpu.get('kafka', 0.0):,.0f} "
            f"| **{cpu['total']:,.0f}** | {row['kafka_requests_per_inquiry']:.2f} "
            f"| {row['loadavg'][0]:.1f} |"
        )
    return lines


def parse_point(text: str) -> Timers:
    """`LINGER:FETCH_WAIT` in ms, e.g. `5:5`."""
    linger, sep, wait = text.partition(":")
    try:
        point = Timers(int(linger), int(wait)) if sep else None
    except ValueError:
        point = None
    if point is None or not (0 <= point.linger_ms <= 1000 and 0 <= point.fetch_wait_ms <= 1000):
        raise argparse.ArgumentTypeError(
            f"{text!r}: expected LINGER_MS:FETCH_WAIT_MS, each 0..1000, e.g. 5:5"
        )
    return point


def register(actions: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = actions.add_parser(
        "frontier", help="latency and cost side by side for several Kafka linger/fetch timers"
    )
    parser.add_argument(
        "--points",
        type=parse_point,
        nargs="+",
        default=list(POINTS),
        metavar="LINGER:WAIT",
        help="settings to try, in ms (default: "
        + " ".join(f"{p.linger_ms}:{p.fetch_wait_ms}" for p in POINTS)
        + ")",
    )
    parser.add_argument(
        "--rates", type=float, nargs="+", default=list(RATES), help="inquiries/s per setting"
    )
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per run")
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds out of the histograms")
    parser.add_argument("--json", type=Path, metavar="FILE", help="also write the rows here")
    parser.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    try:
        settings = config.load()
        with servers_for(settings):
            rows = run_frontier(
                settings, tuple(args.points), tuple(args.rates), args.duration, args.warmup
            )
    except OSError as exc:
        raise BenchError(str(exc)) from exc
    print("\n".join(frontier_table(rows)))
    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(rows, indent=2) + "\n")
    return 0
