"""The benchmark report: a Markdown table and a latency-percentile plot from the suite's results."""

from __future__ import annotations

from pathlib import Path
from typing import Any

# Targets of DESIGN.md §5, checked in the table's notes.
TARGET_P50_US, TARGET_P99_US, TARGET_RATE = 2_000.0, 10_000.0, 50_000.0
FLOOR_FACTOR = 4.5


def _ms(us: float) -> str:
    return f"{us / 1000:.2f}"


def markdown(results: dict[str, Any]) -> str:
    hop, host = results["hop"], results["host"]
    lines = [
        f"# tradefast benchmark, {results['date']}",
        "",
        f"Machine: {host['cpus']} CPUs, load average {host['loadavg_before']} before and "
        f"{host['loadavg_after']} after; Python {host['python']}. Command: `{results['command']}`.",
        "",
        "Floor (one hop, `tradefast bench hop`): "
        f"Kafka produce→consume p50 {_ms(hop['kafka_hop']['p50_us'])} ms, "
        f"p99 {_ms(hop['kafka_hop']['p99_us'])} ms; "
        f"Redis round trip p50 {_ms(hop['redis_round_trip']['p50_us'])} ms, "
        f"p99 {_ms(hop['redis_round_trip']['p99_us'])} ms.",
        "",
        "End to end (generator's scheduled send → final update at a WebSocket client), "
        f"{results['duration_s']:g} s per run, first {results['warmup_s']:g} s out of the "
        "histogram; latencies in ms:",
        "",
        "| core | offered/s | achieved/s | sent | lost | p50 | p90 | p99 | p99.9 | max "
        "| created→enriched p50/p99 | enriched→decided p50/p99 | decided→client p50/p99 "
        "| CPU s: position/trader/gateway/generator/client/Kafka/Redis |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|---|---|",
    ]
    for run in results["e2e"]:
        stages = run["stages"]
        stage_cells = " | ".join(
            f"{_ms(stages[name]['p50_us'])} / {_ms(stages[name]['p99_us'])}"
            for name in ("created_to_enriched", "enriched_to_decided", "decided_to_client")
        )
        cpu = run["cpu"]
        cpu_cell = "/".join(
            f"{cpu.get(name, 0.0):.1f}"
            for name in ("position", "trader", "gateway", "generator", "client", "kafka", "redis")
        )
        lines.append(
            f"| {run['core']} | {run['rate_target']:,.0f} | {run['rate_achieved']:,.0f} "
            f"| {run['sent']:,} | {run['lost']:,} | {_ms(run['p50_us'])} | {_ms(run['p90_us'])} "
            f"| {_ms(run['p99_us'])} | {_ms(run['p999_us'])} | {_ms(run['max_us'])} "
            f"| {stage_cells} | {cpu_cell} |"
        )
    found = results["max"]
    steps = ", ".join(
        f"{s['rate_target']:,.0f}/s {'pass' if s['passed'] else 'fail'} "
        f"(p99 {_ms(s['p99_us'])} ms, lost {s['lost']:,})"
        for s in found["steps"]
    )
    lines += [
        "",
        f"Max sustained rate (rust core, p99 < {_ms(found['p99_limit_us'])} ms, nothing lost, "
        f"no growing lag; {found['step_duration_s']:g} s steps): "
        f"**{found['max_rate']:,.0f} inquiries/s**. Steps: {steps}.",
        "",
        *targets(results),
    ]
    return "\n".join(lines) + "\n"


def targets(results: dict[str, Any]) -> list[str]:
    """The DESIGN.md targets against this run's figures."""
    rust_10k = next(
        (r for r in results["e2e"] if r["core"] == "rust" and r["rate_target"] == 10_000), None
    )
    floor = results["hop"]["kafka_hop"]["p50_us"] * FLOOR_FACTOR
    lines = ["Targets:", ""]
    if rust_10k is not None:
        lines += [
            f"- p50 ≤ 2 ms at 10,000/s: {_ms(rust_10k['p50_us'])} ms "
            f"({_verdict(rust_10k['p50_us'] <= TARGET_P50_US)})",
            f"- p99 ≤ 10 ms at 10,000/s: {_ms(rust_10k['p99_us'])} ms "
            f"({_verdict(rust_10k['p99_us'] <= TARGET_P99_US)})",
            f"- zero lost at 10,000/s: {rust_10k['lost']} ({_verdict(rust_10k['lost'] == 0)})",
            f"- p50 ≤ {FLOOR_FACTOR}x one Kafka hop's p50 ({_ms(floor)} ms): "
            f"{_ms(rust_10k['p50_us'])} ms ({_verdict(rust_10k['p50_us'] <= floor)})",
        ]
    rate = results["max"]["max_rate"]
    lines.append(
        f"- sustained ≥ 50,000/s: {rate:,.0f}/s ({_verdict(rate >= TARGET_RATE)})",
    )
    return lines


def _verdict(met: bool) -> str:
    return "met" if met else "not met"


def plot(results: dict[str, Any], path: Path) -> None:
    """End-to-end latency by percentile, one line per run; x is 1/(1-p) on a log scale, the usual
    way to show the tail. matplotlib (a dev dependency) is imported only here."""
    import matplotlib

    matplotlib.use("Agg")  # files only, no display needed
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(9, 5.5))
    for run in results["e2e"] + [{**s, "max_step": True} for s in results["max"]["steps"]]:
        points = [(p, us) for p, us in run["percentiles_us"] if p < 100.0]
        xs = [1 / (1 - p / 100) for p, _ in points]
        ys = [us / 1000 for _, us in points]
        label = f"{run['core']} {run['rate_target']:,.0f}/s" + (
            " (max search)" if run.get("max_step") else ""
        )
        axes.plot(
            xs,
            ys,
            marker="o",
            markersize=3,
            label=label,
            linestyle=":" if run.get("max_step") else "-",
        )
    hop_p50 = results["hop"]["kafka_hop"]["p50_us"] / 1000
    axes.axhline(
        hop_p50 * 4,
        color="grey",
        linestyle="--",
        linewidth=1,
        label=f"4 x one Kafka hop p50 ({hop_p50 * 4:.2f} ms)",
    )
    axes.set_xscale("log")
    axes.set_yscale("log")
    ticks = [1, 2, 10, 100, 1000, 10000]
    axes.set_xticks(ticks, ["0%", "50%", "90%", "99%", "99.9%", "99.99%"])
    axes.set_xlabel("percentile")
    axes.set_ylabel("end-to-end latency (ms)")
    axes.set_title(f"tradefast end-to-end latency, {results['date']}")
    axes.grid(True, which="both", alpha=0.3)
    axes.legend(fontsize=8)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
