"""The benchmark report in Markdown: the machine, the floor, latency and cost per run, the max-rate
search and the targets, from the suite's results."""

from __future__ import annotations

from typing import Any

from tradefast.bench.frontier import frontier_table
from tradefast.bench.targets import dashboard_targets, targets
from tradefast.infra.kafka_stats import PRODUCER_WAITS

STAGES = ("created_to_enriched", "enriched_to_decided", "decided_to_client")
# The pipeline's processes in the order an inquiry meets them; the bench client comes last, apart.
PROCESSES = ("generator", "position", "trader", "gateway", "kafka", "redis")
REQUEST_TYPES = ("Produce", "Fetch", "OffsetCommit")
PRODUCERS = ("generator", "position", "trader")


def _ms(us: float) -> str:
    return f"{us / 1000:.2f}"


def markdown(results: dict[str, Any]) -> str:
    lines = [
        f"# tradefast benchmark, {results['date']}",
        "",
        *_machine(results),
        "",
        "End to end (generator's scheduled send → final update at a WebSocket client), "
        f"{results['duration_s']:g} s per run, first {results['warmup_s']:g} s out of the "
        "histogram; latencies in ms:",
        "",
        *latency_table(results["e2e"]),
        "",
        "Cost per inquiry: CPU µs of each process over the run (user + system, psutil) divided by "
        "the inquiries sent, and Kafka requests that the clients of the pipeline sent to the "
        "broker (librdkafka statistics); the bench's WebSocket client is not in the total:",
        "",
        *cost_table(_runs_with_warmup(results)),
        "",
        "Where a hop waits in Kafka: the mean time a producer's message queued before its "
        "request was built, and its produce request's round trip to the broker (librdkafka "
        "statistics; a full window of in-flight requests shows as queueing), ms:",
        "",
        *producer_wait_table(results["e2e"]),
        "",
        *_max_search(results["max"]),
        "",
        *_frontier(results.get("frontier", [])),
        "Targets (the project's, in docs/bench.md):",
        "",
        *(f"- {line}" for line in targets(results)),
    ]
    if "dashboard" in results:
        lines += ["", *dashboard_section(results["dashboard"])]
    return "\n".join(lines) + "\n"


def dashboard_section(found: dict[str, Any]) -> list[str]:
    """The page alone under recorded frames (`bench dashboard`): one row per replayed rate."""
    recording = found["recording"]
    return [
        "## Dashboard",
        "",
        f"The page (`{found['dist']}`) in Chromium ({found['viewport']['width']}x"
        f"{found['viewport']['height']}), fed by the replay server with "
        f"{recording['updates']:,} inquiry updates recorded from a gateway at "
        f"{recording['updates_per_s']:,.0f} updates/s ({recording['recorded_at']}), no pipeline "
        f"running beside it; {found['warmup_s']:g} s warm-up, then {found['duration_s']:g} s "
        "measured per rate. frames/s: animation frames a second the browser ran for the page "
        "with every frame asked for (a requestAnimationFrame loop in a few seconds of their own "
        "after the measured window), and the longest gap between two; drawn/s: "
        "the frames the page drew in the measured window (DevTools trace, `DrawFrame`; a page "
        "with nothing new to show draws none). Busy: the renderer main thread's task "
        "time (DevTools "
        "`Performance.getMetrics` TaskDuration); long tasks: PerformanceObserver `longtask`, and "
        "the most CPU time one of them used (DevTools trace); CPU: its CPU time (ThreadTime), "
        "and the whole "
        "renderer's (feed worker, compositor and raster included); display lag: for how long the "
        "page had been sent an inquiry newer than the blotter's top row; reactions: from "
        "acting to the first frame showing the effect. Command: `tradefast bench dashboard`.",
        "",
        *dashboard_table(found["runs"]),
        "",
        "Targets:",
        "",
        *(f"- {line}" for line in dashboard_targets(found["runs"])),
    ]


def dashboard_table(runs: list[dict[str, Any]]) -> list[str]:
    lines = [
        "| updates/s | frames/s (longest gap ms) | drawn/s | long tasks (longest ms; most CPU in "
        "one) | main thread busy ms "
        "per 1,000 updates | its CPU ms per 1,000 | renderer CPU ms per 1,000 | main thread "
        "ms/s: script / style / layout | display lag p50 / max ms | pause / resume / filter / "
        "unfilter ms | load before → after |",
        "|---:|---:|---:|---|---:|---:|---:|---|---|---|---|",
    ]
    for run in runs:
        parts = run["main_ms_per_s"]
        lag = run["display_lag_ms"]
        reactions = run["reactions_ms"]
        reacted = " / ".join(
            f"{reactions[name]:.0f}" if name in reactions else "-"
            for name in ("pause_ms", "resume_ms", "filter_ms", "unfilter_ms")
        )
        lines.append(
            f"| {run['updates_per_s']:,.0f} | {run['frames_per_s']:.1f} "
            f"({run['longest_frame_ms']:.0f}) | {run['drawn_frames_per_s']:.1f} "
            f"| {run['long_tasks']} ({run['longest_task_ms']:.0f}; "
            f"{run['long_task_max_cpu_ms']:.0f}) "
            f"| {_number(run['main_busy_ms_per_1000_updates'])} "
            f"| {_number(run['main_cpu_ms_per_1000_updates'])} "
            f"| {_number(run['renderer_cpu_ms_per_1000_updates'])} "
            f"| {parts['script']:.0f} / {parts['style']:.0f} / {parts['layout']:.0f} "
            f"| {_number(lag['p50'], 0)} / {_number(lag['max'], 0)} | {reacted} "
            f"| {_load(run)} |"
        )
    return lines


def _number(value: float | None, digits: int = 1) -> str:
    return "-" if value is None else f"{value:,.{digits}f}"


def _machine(results: dict[str, Any]) -> list[str]:
    host, hop = results["host"], results["hop"]
    calibration = host["calibration"]
    lines = [
        f"Machine: {host['cpus']} CPUs, calibration {calibration['python_loop_per_us']} Python "
        f"loop iterations per µs and {calibration['sha256_mib_per_s']} MiB/s SHA-256 (CPU "
        f"time, `tradefast.bench.calibrate`; higher is faster); load average "
        f"{host['loadavg_before']} before and {host['loadavg_after']} after; Python "
        f"{host['python']}. Command: `{results['command']}`.",
        "",
    ]
    warm = results.get("broker_warmup")
    if warm:
        lines += [
            f"Broker warm-up before measuring: {warm['duration_s']:g} s at "
            f"{warm['rate_target']:,.0f}/s (its cost is the first row of the cost table).",
            "",
        ]
    lines.append(
        "Floor (one hop, `tradefast bench hop`): Kafka produce→consume "
        f"p50 {_ms(hop['kafka_hop']['p50_us'])} ms, p99 {_ms(hop['kafka_hop']['p99_us'])} ms "
        "with the services' settings, "
        f"p50 {_ms(hop['kafka_hop_linger0']['p50_us'])} ms, "
        f"p99 {_ms(hop['kafka_hop_linger0']['p99_us'])} ms at linger 0; "
        f"Redis round trip p50 {_ms(hop['redis_round_trip']['p50_us'])} ms, "
        f"p99 {_ms(hop['redis_round_trip']['p99_us'])} ms."
    )
    return lines


def latency_table(runs: list[dict[str, Any]]) -> list[str]:
    lines = [
        "| core | offered/s | achieved/s | sent | lost | p50 | p90 | p99 | p99.9 | max "
        "| created→enriched p50/p99 | enriched→decided p50/p99 | decided→client p50/p99 "
        "| load before → after |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|---|---|",
    ]
    for run in runs:
        stages = run["stages"]
        stage_cells = " | ".join(
            f"{_ms(stages[name]['p50_us'])} / {_ms(stages[name]['p99_us'])}" for name in STAGES
        )
        lines.append(
            f"| {run['core']} | {run['rate_target']:,.0f} | {run['rate_achieved']:,.0f} "
            f"| {run['sent']:,} | {run['lost']:,} | {_ms(run['p50_us'])} | {_ms(run['p90_us'])} "
            f"| {_ms(run['p99_us'])} | {_ms(run['p999_us'])} | {_ms(run['max_us'])} "
            f"| {stage_cells} | {_load(run)} |"
        )
    return lines


def cost_table(runs: list[tuple[str, dict[str, Any]]]) -> list[str]:
    """One row per (label, run): CPU µs per inquiry by process and in total, Kafka requests."""
    lines = [
        "| run | offered/s | "
        + " | ".join(f"{name} µs" for name in PROCESSES)
        + " | **total µs** | client µs | Kafka requests/s | requests/inquiry | "
        + " | ".join(REQUEST_TYPES)
        + " | other |",
        "|---|---:|" + "---:|" * (len(PROCESSES) + 5 + len(REQUEST_TYPES)),
    ]
    for label, run in runs:
        cpu = run["cost"]["cpu_us_per_inquiry"]
        requests = run["cost"]["kafka_requests"]
        by_type = requests["by_type_per_inquiry"]
        other = sum(n for name, n in by_type.items() if name not in REQUEST_TYPES)
        cells = [f"{cpu.get(name, 0.0):,.0f}" for name in PROCESSES]
        cells += [f"**{cpu['total']:,.0f}**", f"{cpu.get('client', 0.0):,.0f}"]
        cells += [
            f"{requests['per_second']['total']:,.0f}",
            f"{requests['per_inquiry']['total']:.2f}",
        ]
        cells += [f"{by_type.get(name, 0.0):.2f}" for name in REQUEST_TYPES]
        cells.append(f"{other:.2f}")
        lines.append(f"| {label} | {run['rate_target']:,.0f} | " + " | ".join(cells) + " |")
    return lines


def producer_wait_table(runs: list[dict[str, Any]]) -> list[str]:
    """One row per run: each producing service's mean queue wait and round trip."""
    lines = [
        "| core | offered/s | "
        + " | ".join(f"{name} queue / round trip" for name in PRODUCERS)
        + " |",
        "|---|---:|" + "---|" * len(PRODUCERS),
    ]
    for run in runs:
        waits = run["cost"].get("kafka_producer_waits_ms", {})
        cells = [
            " / ".join(_number(waits.get(name, {}).get(wait), 2) for wait in PRODUCER_WAITS)
            for name in PRODUCERS
        ]
        lines.append(f"| {run['core']} | {run['rate_target']:,.0f} | " + " | ".join(cells) + " |")
    return lines


def _runs_with_warmup(results: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    runs = [(run["core"], run) for run in results["e2e"]]
    warm = results.get("broker_warmup")
    return ([(f"{warm['core']} (broker warm-up)", warm)] if warm else []) + runs


def _frontier(rows: list[dict[str, Any]]) -> list[str]:
    if not rows:
        return []
    return [
        "Kafka's timers, latency against cost (`tradefast bench frontier`: each setting on a "
        "fresh pipeline; linger: how long producers gather, fetch wait: how long the broker "
        "holds a fetch for more than its first byte):",
        "",
        *frontier_table(rows),
        "",
    ]


def _max_search(found: dict[str, Any]) -> list[str]:
    steps = ", ".join(
        f"{s['rate_target']:,.0f}/s {'pass' if s['passed'] else 'fail'}"
        f"{' (held)' if s.get('confirming') else ''} "
        f"(p99 {_ms(s['p99_us'])} ms, lost {s['lost']:,}, "
        f"{s['cost']['cpu_us_per_inquiry']['total']:,.0f} µs CPU/inquiry)"
        for s in found["steps"]
    )
    held = (
        f", then held for {found['confirm_duration_s']:g} s, narrowing below a rate that did not "
        f"hold (the best short step: {found['short_step_max_rate']:,.0f}/s)"
    )
    return [
        f"Max sustained rate (rust core, p99 < {_ms(found['p99_limit_us'])} ms, nothing lost, "
        f"no growing lag; {found['step_duration_s']:g} s steps, climbing from "
        f"{found['start_rate']:,.0f}/s by doubling, then halving the gap{held}): "
        f"**{found['max_rate']:,.0f} inquiries/s**. Steps: {steps}."
    ]


def _load(run: dict[str, Any]) -> str:
    before = run.get("loadavg_before")
    return f"{before[0]:.1f} → {run['loadavg'][0]:.1f}" if before else f"{run['loadavg'][0]:.1f}"
