"""The project's performance targets (docs/bench.md), judged against one results set of the suite
(Rust core) and the dashboard benchmark."""

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


# The dashboard (docs/bench.md): at 10,000 updates/s, frames/s and the longest task; main-thread
# busy time per 1,000 updates at 10,000 and 30,000/s; at 30,000/s, reactions and the display lag.
DASHBOARD_RATE, DASHBOARD_HIGH_RATE = 10_000.0, 30_000.0
MIN_FRAMES_PER_S = 55.0
MAX_TASK_MS = 50.0
MAX_BUSY_MS_PER_1000 = 20.0
MAX_REACTION_MS = 100.0
# Conflating keeps what the blotter shows current; falling behind makes this grow without bound.
MAX_DISPLAY_LAG_MS = 1000.0


def dashboard_targets(runs: list[dict[str, Any]]) -> list[str]:
    by_rate = {run["rate_target"]: run for run in runs}
    lines: list[str] = []
    run = by_rate.get(DASHBOARD_RATE)
    if run is not None:
        lines += [
            f"≥ {MIN_FRAMES_PER_S:g} frames/s at {DASHBOARD_RATE:,.0f} updates/s: "
            f"{run['frames_per_s']:.1f} ({_verdict(run['frames_per_s'] >= MIN_FRAMES_PER_S)})",
            f"no long task over {MAX_TASK_MS:g} ms at {DASHBOARD_RATE:,.0f} updates/s: "
            f"{run['long_tasks']}, longest {run['longest_task_ms']:.0f} ms "
            f"({_verdict(run['longest_task_ms'] <= MAX_TASK_MS)})",
        ]
    for rate in (DASHBOARD_RATE, DASHBOARD_HIGH_RATE):
        run = by_rate.get(rate)
        busy = None if run is None else run["main_busy_ms_per_1000_updates"]
        if busy is not None:
            lines.append(
                f"main-thread busy ≤ {MAX_BUSY_MS_PER_1000:g} ms per 1,000 updates at "
                f"{rate:,.0f} updates/s: {busy:.1f} ms ({_verdict(busy <= MAX_BUSY_MS_PER_1000)})"
            )
    run = by_rate.get(DASHBOARD_HIGH_RATE)
    if run is not None:
        slowest = max(run["reactions_ms"].values(), default=float("inf"))
        lag = run["display_lag_ms"]["max"]
        lines += [
            f"filters and Pause react within {MAX_REACTION_MS:g} ms at "
            f"{DASHBOARD_HIGH_RATE:,.0f} updates/s: slowest {slowest:.0f} ms "
            f"({_verdict(slowest <= MAX_REACTION_MS)})",
            f"conflating, not falling behind, at {DASHBOARD_HIGH_RATE:,.0f} updates/s: display "
            f"lag at most {_ms(lag * 1000) if lag is not None else '-'} (under "
            f"{_ms(MAX_DISPLAY_LAG_MS * 1000)}: "
            f"{_verdict(lag is not None and lag < MAX_DISPLAY_LAG_MS)})",
        ]
    return lines
