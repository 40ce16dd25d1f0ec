"""The benchmark plot (PNG): end-to-end latency by percentile for every run, and beside it the CPU
per inquiry of each run split by process, with its Kafka requests per inquiry. matplotlib (a dev
dependency) is imported only here."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tradefast.bench.report import PROCESSES
from tradefast.bench.targets import FLOOR_FACTOR


def plot(results: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")  # files only, no display needed
    import matplotlib.pyplot as plt

    figure, (latency, cost) = plt.subplots(
        1, 2, figsize=(15, 5.5), gridspec_kw={"width_ratios": [3, 2]}
    )
    _latency(latency, results)
    _cost(cost, results)
    figure.suptitle(f"tradefast end to end, {results['date']}")
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


def _latency(axes: Any, results: dict[str, Any]) -> None:
    """Latency by percentile, one line per run; x is 1/(1-p) on a log scale, the usual way to
    show the tail."""
    for run in results["e2e"] + [{**s, "max_step": True} for s in results["max"]["steps"]]:
        points = [(p, us) for p, us in run["percentiles_us"] if p < 100.0]
        xs = [1 / (1 - p / 100) for p, _ in points]
        ys = [us / 1000 for _, us in points]
        label = f"{run['core']} {run['rate_target']:,.0f}/s" + (
            " (max search)" if run.get("max_step") else ""
        )
        style = ":" if run.get("max_step") else "-"
        axes.plot(xs, ys, marker="o", markersize=3, label=label, linestyle=style)
    floor = results["hop"]["kafka_hop_linger0"]["p50_us"] / 1000 * FLOOR_FACTOR
    axes.axhline(
        floor,
        color="grey",
        linestyle="--",
        linewidth=1,
        label=f"{FLOOR_FACTOR} x one linger-0 Kafka hop p50 ({floor:.2f} ms)",
    )
    axes.set_xscale("log")
    axes.set_yscale("log")
    ticks = [1, 2, 10, 100, 1000, 10000]
    axes.set_xticks(ticks, ["0%", "50%", "90%", "99%", "99.9%", "99.99%"])
    axes.set_xlabel("percentile")
    axes.set_ylabel("end-to-end latency (ms)")
    axes.grid(True, which="both", alpha=0.3)
    axes.legend(fontsize=7)


def _cost(axes: Any, results: dict[str, Any]) -> None:
    """Stacked bars: CPU µs per inquiry by process, one bar per run, requests per inquiry noted."""
    runs = [(f"{r['core']} {r['rate_target']:,.0f}/s", r) for r in results["e2e"]]
    labels = [label for label, _ in runs]
    left = [0.0] * len(runs)
    for name in PROCESSES:
        widths = [run["cost"]["cpu_us_per_inquiry"].get(name, 0.0) for _, run in runs]
        axes.barh(labels, widths, left=left, label=name)
        left = [a + b for a, b in zip(left, widths, strict=True)]
    for row, (_, run) in enumerate(runs):
        requests = run["cost"]["kafka_requests"]["per_inquiry"]["total"]
        axes.annotate(
            f" {left[row]:,.0f} µs, {requests:.2f} req",
            (left[row], row),
            va="center",
            fontsize=7,
        )
    axes.invert_yaxis()
    axes.set_xlabel("CPU µs per inquiry (all processes, Kafka requests per inquiry noted)")
    axes.set_xlim(0, max(left, default=1.0) * 1.35)
    axes.grid(True, axis="x", alpha=0.3)
    axes.legend(fontsize=7, loc="lower right")
