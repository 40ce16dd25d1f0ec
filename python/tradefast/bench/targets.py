"""The project's performance targets (docs/bench.md), judged against one results set of the suite
(Rust core)."""

from __future__ import annotations

from typing import Any

# Offered rate: (p50 limit, p99 limit, total CPU per inquiry limit), all in µs.
LIMITS = {
    1_000.0: (5_000.0, 15_000.0, 400.0),
    10_000.0: (5_000.0, 25_000.0, 40.0),
}
TARGET_RATE, GOAL_RATE = 30_000.0, 50_000.0
# p50 at 1,000/s within this many linger-0 Kafka hops of the same run.
FLOOR_FACTOR = 4


def _ms(us: float) -> str:
    return f"{us / 1000:.2f} ms"


def _verdict(met: bool) -> str:
    return "met" if met else "not met"


def targets(results: dict[str, Any]) -> list[str]:
    """One line per target: what it asks, this run's figure, met or not."""
    rust = {r["rate_target"]: r for r in results["e2e"] if r["core"] == "rust"}
    lines: list[str] = []
    for rate, (p50, p99, cpu) in LIMITS.items():
        run = rust.get(rate)
        if run is None:
            continue
        total = run["cost"]["cpu_us_per_inquiry"]["total"]
        lines += [
            f"CPU per inquiry ≤ {cpu:g} µs at {rate:,.0f}/s: {total:,.1f} µs "
            f"({_verdict(total <= cpu)})",
            f"p50 ≤ {_ms(p50)} at {rate:,.0f}/s: {_ms(run['p50_us'])} "
            f"({_verdict(run['p50_us'] <= p50)})",
            f"p99 ≤ {_ms(p99)} at {rate:,.0f}/s: {_ms(run['p99_us'])} "
            f"({_verdict(run['p99_us'] <= p99)})",
            f"nothing lost at {rate:,.0f}/s: {run['lost']} lost ({_verdict(run['lost'] == 0)})",
        ]
    run = rust.get(1_000.0)
    if run is not None:
        floor = results["hop"]["kafka_hop_linger0"]["p50_us"] * FLOOR_FACTOR
        lines.append(
            f"p50 at 1,000/s ≤ {FLOOR_FACTOR}x one linger-0 Kafka hop ({_ms(floor)}): "
            f"{_ms(run['p50_us'])} ({_verdict(run['p50_us'] <= floor)})"
        )
    rate = results["max"]["max_rate"]
    lines.append(
        f"sustained ≥ {TARGET_RATE:,.0f}/s (goal {GOAL_RATE:,.0f}/s): {rate:,.0f}/s "
        f"({_verdict(rate >= TARGET_RATE)})"
    )
    return lines
