"""`tradefast bench e2e`: end-to-end latency under open-loop load.

Kafka and Redis are reused when they answer at the configured addresses, else started and stopped
again. The bench always starts its own position service, auto trader and gateway (processes, as
`tradefast run` starts them) on a fresh topic prefix, so old data and a running pipeline never
interfere. For each load step a WebSocket client (its own process, `bench.ws_client`) connects,
then the generator (its own process) sends `rate * duration` inquiries at `rate`. created_ns is the
generator's scheduled send time, so a stall anywhere, the generator's included, shows as latency.
Inquiries of the first `warmup` seconds count as sent and received but stay out of the histograms.
With `--original-client`, each rate runs twice: with the batched client alone, then with one
client of the original format beside it (every state, one Inquiry per frame), and the report
sets the gateway's CPU per inquiry of the two side by side.
"""

from __future__ import annotations

import argparse
import json
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tradefast import config
from tradefast.bench.calibrate import describe_host, host_after, host_before, loadavg
from tradefast.bench.cost import (
    STATS_INTERVAL_MS,
    Requests,
    Spent,
    Waits,
    fresh_requests,
    scrape_requests,
    summarize,
)
from tradefast.bench.hop import measure_floor
from tradefast.config import Settings
from tradefast.errors import TradefastError
from tradefast.infra import redis_cluster
from tradefast.infra.netcheck import free_port, split_host_port
from tradefast.infra.redis_server import redis_host_port
from tradefast.integration.pipeline import (
    Pipeline,
    Servers,
    cpu_seconds,
    feed_url,
    fresh_settings,
    listener_pid,
    metrics_url,
    start_servers,
)
from tradefast.redis_url import is_cluster
from tradefast.supervisor import SupervisorError

# How long the client may still wait for final updates after the generator has sent everything.
DRAIN = 15.0
CLIENT_READY_TIMEOUT = 30.0
SAMPLE_INTERVAL = 0.2
WARMUP_RATE = 1_000.0


class BenchError(TradefastError, RuntimeError):
    """The benchmark could not run (a process failed); the message says which and why."""


@dataclass
class Bench:
    """A running pipeline to offer load to; ids keep increasing across steps."""

    pipeline: Pipeline
    core: str
    next_id: int
    # Kafka and Redis processes (every node of a cluster), when they run on this machine: their
    # CPU is reported too, per kind.
    servers: dict[str, list[int]]

    def step(
        self, rate: float, duration: float, warmup: float, original: bool = False
    ) -> dict[str, Any]:
        """Offer `rate` inquiries/s for `duration` s; the step's figures, its cost included.
        `original`: one client of the original format beside the batched one."""
        count = max(1, round(rate * duration))
        first_id = self.next_id
        self.next_id += count
        out = self.pipeline.log_dir / f"client-{first_id}.json"
        original_out = self.pipeline.log_dir / f"original-client-{first_id}.json"
        record_from = first_id + min(count - 1, round(rate * warmup))
        loadavg_before = loadavg()
        requests_before = self._requests()
        cpu_before = self._cpu_seconds()
        with ExitStack() as clients:
            client = clients.enter_context(
                _client(self.pipeline, first_id, count, record_from, out)
            )
            watchers = [client]
            if original:
                watchers.append(
                    clients.enter_context(
                        _client(self.pipeline, first_id, count, record_from, original_out, True)
                    )
                )
            started = time.monotonic()
            generated = _generate(self.pipeline, rate, count, first_id, warmup)
            for watcher in watchers:
                _drain(watcher)
        done = time.monotonic()
        cpu_after = self._cpu_seconds()
        requests = {
            name: after.since(requests_before[name])
            for name, after in self._requests(since=done).items()
            if name in requests_before
        }
        requests["generator"] = generated.requests
        if not out.exists():
            raise BenchError(f"the bench client wrote no results (exit code {client.returncode})")
        seen: dict[str, Any] = json.loads(out.read_text())
        cpu = {name: round(cpu_after[name] - cpu_before.get(name, 0.0), 3) for name in cpu_after}
        cpu["generator"] = round(generated.cpu_seconds, 3)
        cpu["client"] = seen["cpu_seconds"]
        original_client = _original_figures(original_out, count) if original else None
        if original_client is not None:
            cpu["original_client"] = original_client["cpu_seconds"]
        figures = _figures(self.core, rate, duration, warmup, count, generated.seconds, seen, cpu)
        if original_client is not None:
            figures["original_client"] = original_client
        figures["cost"] = summarize(cpu, requests, count, done - started)
        figures["loadavg_before"] = loadavg_before
        return figures

    def warm_up(
        self, seconds: float, rate: float, report: Callable[[str], None] = print
    ) -> dict[str, Any] | None:
        """Offer `rate` for `seconds` before measuring, because a fresh broker's JVM compiles its
        hot code during its first minutes of load and costs more meanwhile. Its figures (kept
        apart from the measured steps); None when `seconds` is 0."""
        if seconds <= 0:
            return None
        report(f"warm-up: {seconds:g} s at {rate:,.0f}/s")
        figures = self.step(rate, seconds, warmup=0.0)
        report(describe(figures))
        return figures

    def _cpu_seconds(self) -> dict[str, float]:
        used = self.pipeline.cpu_seconds()
        used.update(
            {name: sum(cpu_seconds(pid) for pid in pids) for name, pids in self.servers.items()}
        )
        return used

    def _requests(self, since: float = 0.0) -> dict[str, Requests]:
        """Each service's Kafka request counts; with `since`, from statistics newer than that
        where they come within 1.5 intervals (an idle producer's do not: see cost.py)."""
        wait = 1.5 * STATS_INTERVAL_MS / 1000
        found = {
            name: fresh_requests(url, since, wait)
            for name, url in self.pipeline.metrics_urls().items()
        }
        return {name: r for name, r in found.items() if r is not None}


def _figures(
    core: str,
    rate: float,
    duration: float,
    warmup: float,
    count: int,
    sent_seconds: float,
    seen: dict[str, Any],
    cpu: dict[str, float],
) -> dict[str, Any]:
    received = seen["received_final"]
    span_ns = seen["last_receive_ns"] - seen["first_created_ns"]
    e2e = seen["end_to_end"]
    return {
        "core": core,
        "rate_target": rate,
        # Final updates received per second, from the first scheduled send to the last receipt.
        "rate_achieved": round(received / (span_ns / 1e9), 1) if span_ns > 0 else 0.0,
        "duration_s": duration,
        "warmup_s": warmup,
        "sent": count,
        "generator_seconds": round(sent_seconds, 2),
        "received_final": received,
        "lost": count - received,
        "duplicates": seen["duplicates"],
        "p50_us": e2e["p50_us"],
        "p90_us": e2e["p90_us"],
        "p99_us": e2e["p99_us"],
        "p999_us": e2e["p99_9_us"],
        "max_us": e2e["max_us"],
        "tail_p99_us": seen["tail"]["p99_us"],
        "stages": {
            name: {"p50_us": s["p50_us"], "p99_us": s["p99_us"]}
            for name, s in seen["stages"].items()
        },
        "percentiles_us": seen["percentiles_us"],
        "cpu": cpu,
        "loadavg": loadavg(),
    }


def _original_figures(out: Path, count: int) -> dict[str, Any]:
    """What the client of the original format received: every state of every inquiry."""
    if not out.exists():
        raise BenchError("the original-format bench client wrote no results")
    seen: dict[str, Any] = json.loads(out.read_text())
    return {
        "received_final": seen["received_final"],
        "lost": count - seen["received_final"],
        # Three per inquiry (NEW, POSITION_ENRICHED, final), each its own frame.
        "states": seen["states"],
        "frames": seen["frames"],
        "p50_us": seen["end_to_end"]["p50_us"],
        "p99_us": seen["end_to_end"]["p99_us"],
        "cpu_seconds": seen["cpu_seconds"],
    }


def _drain(client: subprocess.Popen[str]) -> None:
    """Give the client DRAIN s for its last updates, then ask it to write what it has."""
    try:
        client.wait(DRAIN)
    except subprocess.TimeoutExpired:
        client.send_signal(signal.SIGTERM)
        client.wait(CLIENT_READY_TIMEOUT)


@contextmanager
def _client(
    pipeline: Pipeline,
    first_id: int,
    count: int,
    record_from: int,
    out: Path,
    original: bool = False,
) -> Iterator[subprocess.Popen[str]]:
    argv = [sys.executable, "-m", "tradefast.bench.ws_client", "--url"]
    argv += [feed_url(pipeline.settings), "--first-id", str(first_id), "--count", str(count)]
    argv += ["--record-from", str(record_from), "--out", str(out)]
    argv += ["--format", "original" if original else "batched"]
    client = subprocess.Popen(argv, stdout=subprocess.PIPE, text=True, start_new_session=True)
    try:
        assert client.stdout is not None
        if client.stdout.readline().strip() != "ready":
            raise BenchError(f"the bench client did not connect (exit code {client.wait()})")
        yield client
    finally:
        if client.poll() is None:
            client.kill()
            client.wait()


@dataclass(frozen=True)
class Generated:
    cpu_seconds: float
    seconds: float
    requests: Spent


def _generate(
    pipeline: Pipeline, rate: float, count: int, first_id: int, warmup: float
) -> Generated:
    """Run the generator to the end: its CPU seconds, wall-clock seconds and Kafka requests.

    Its CPU counts from when its metrics endpoint first answers, so the interpreter's start-up
    and imports (about a second of CPU) are not charged to the inquiries. Its request counts are
    read from its metrics while it runs; the last statistics come up to one interval before it
    exits, so the count is carried to its end at the rate measured. Its producer waits count
    from `warmup` seconds after its metrics first answer, as the histograms leave out the first
    inquiries (its first messages may wait for the idempotent producer's id, a start-up cost)."""
    args = ["--rate", str(rate), "--count", str(count), "--start-id", str(first_id)]
    started = time.monotonic()
    port = free_port()
    generator = pipeline.generator(args, metrics_port=port)
    used, serving = 0.0, None
    answered_at = 0.0
    latest = Requests(clock=started)
    baseline = Waits()
    while generator.poll() is None:
        scraped = scrape_requests(metrics_url(port))
        used = max(used, cpu_seconds(generator.pid))
        if scraped is not None:
            if serving is None:
                serving, answered_at = used, time.monotonic()
            elif warmup > 0 and time.monotonic() - answered_at < warmup:
                baseline = scraped.waits
            latest = scraped if scraped.clock > latest.clock else latest
        time.sleep(SAMPLE_INTERVAL)
    seconds = time.monotonic() - started
    if generator.returncode != 0:
        raise BenchError(
            f"the generator exited with code {generator.returncode} "
            f"(log: {pipeline.log_dir / 'generator.log'})"
        )
    requests = latest.since(Requests(clock=started, waits=baseline)).scaled(seconds)
    return Generated(used - (serving or 0.0), seconds, requests)


@contextmanager
def running_bench(settings: Settings, core: str) -> Iterator[Bench]:
    """A fresh pipeline on `core`, stopped on exit; logs under TRADEFAST_HOME/bench/<prefix>."""
    fresh = fresh_settings(settings, f"bench-{core}")
    log_dir = Path(settings.home) / "bench" / fresh.topics.prefix.rstrip(".")
    env = {"TRADEFAST_CORE": core, "TRADEFAST_KAFKA_STATS_MS": str(STATS_INTERVAL_MS)}
    pipeline = Pipeline(fresh, log_dir, env=env)
    try:
        pipeline.start()
        next_id = time.time_ns() // 1_000_000 * 1000
        yield Bench(pipeline, core, next_id, server_pids(settings))
    except SupervisorError as exc:
        raise BenchError(f"the pipeline did not start: {exc}") from None
    finally:
        pipeline.stop()


def server_pids(settings: Settings) -> dict[str, list[int]]:
    """The local Kafka and Redis processes, those that can be found: every broker of the
    bootstrap list, every node of a local Redis Cluster."""
    ports = {
        "kafka": [split_host_port(a)[1] for a in settings.kafka_bootstrap.split(",")],
        "redis": [redis_host_port(settings.redis_url)[1]],
    }
    if is_cluster(settings.redis_url):
        ports["redis"] = redis_cluster.node_ports(ports["redis"][0])
    found = {name: [listener_pid(port) for port in of_kind] for name, of_kind in ports.items()}
    return {name: [pid for pid in pids if pid is not None] for name, pids in found.items()}


@contextmanager
def servers_for(settings: Settings) -> Iterator[Servers]:
    """Kafka and Redis: reused when they answer, else started here and stopped on exit."""
    servers = start_servers(settings)
    try:
        yield servers
    finally:
        servers.stop()


def register(actions: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    e2e = actions.add_parser(
        "e2e", help="end-to-end latency at a fixed offered rate, to a WebSocket client"
    )
    add_load_arguments(e2e, duration=20.0, broker_warmup=20.0)
    e2e.add_argument(
        "--rate",
        type=_rate,
        nargs="+",
        default=[10_000.0],
        help="inquiries/s, one step per rate given (default 10000)",
    )
    e2e.add_argument(
        "--original-client",
        action="store_true",
        help="at each rate, a second step with one client of the original format (one Inquiry "
        "per frame, every state) beside the batched one; the gateway's CPU per inquiry of both",
    )
    e2e.add_argument(
        "--hop-count", type=int, default=1000, help="one-hop floor samples (default 1000)"
    )
    e2e.add_argument("--json", type=Path, metavar="FILE", help="also write the figures here")
    e2e.set_defaults(func=_run)


def add_load_arguments(
    parser: argparse.ArgumentParser, duration: float, broker_warmup: float
) -> None:
    parser.add_argument(
        "--duration", type=_seconds, default=duration, help=f"seconds (default {duration:g})"
    )
    parser.add_argument(
        "--warmup", type=_seconds, default=2.0, help="first seconds kept out of the histograms"
    )
    parser.add_argument(
        "--broker-warmup",
        type=_seconds,
        default=broker_warmup,
        help=f"seconds of load before measuring, so the broker's JVM is warm (default "
        f"{broker_warmup:g}; 0: none)",
    )
    parser.add_argument(
        "--broker-warmup-rate",
        type=_rate,
        default=WARMUP_RATE,
        help=f"inquiries/s during the broker warm-up (default {WARMUP_RATE:g})",
    )
    config.add_flags(parser, ("core",))


def _run(args: argparse.Namespace) -> int:
    try:
        settings = config.load(flags=args)
        core = settings.core
        host = host_before()
        print(describe_host(host), flush=True)
        with servers_for(settings), running_bench(settings, core) as bench:
            warm = bench.warm_up(args.broker_warmup, args.broker_warmup_rate)
            floor = measure_floor(settings, args.hop_count, max(1, args.hop_count // 10))
            steps = []
            for rate in args.rate:
                steps.append(bench.step(rate, args.duration, args.warmup))
                if args.original_client:
                    steps.append(bench.step(rate, args.duration, args.warmup, original=True))
    except OSError as exc:
        raise BenchError(str(exc)) from exc
    print(describe_floor(floor))
    for step in steps:
        print(describe(step))
    common = {"host": host_after(host), "floor": floor, "broker_warmup": warm}
    # One step: its figures as they always were; several: the list.
    figures: dict[str, Any] = (
        {**steps[0], **common} if len(steps) == 1 else {"steps": steps, **common}
    )
    if args.original_client:
        costs = [
            original_client_cost(alone, beside)
            for alone, beside in zip(steps[::2], steps[1::2], strict=True)
        ]
        figures["original_client_cost"] = costs
        for cost in costs:
            print(describe_original_client_cost(cost))
    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(figures, indent=2) + "\n")
    return 0


def describe_floor(floor: dict[str, dict[str, float]]) -> str:
    hop, linger0, redis_rt = (
        floor["kafka_hop"],
        floor["kafka_hop_linger0"],
        floor["redis_round_trip"],
    )
    return (
        f"floor: one Kafka hop p50 {hop['p50_us'] / 1000:.2f} ms (services' settings), "
        f"{linger0['p50_us'] / 1000:.2f} ms (linger 0); "
        f"Redis round trip p50 {redis_rt['p50_us'] / 1000:.3f} ms"
    )


def describe(figures: dict[str, Any]) -> str:
    stages = "  ".join(
        f"{name} p50 {s['p50_us'] / 1000:.2f} p99 {s['p99_us'] / 1000:.2f} ms"
        for name, s in figures["stages"].items()
    )
    cost = figures["cost"]
    cpu = " ".join(f"{name} {us:,.0f}" for name, us in cost["cpu_us_per_inquiry"].items())
    per_batch = " ".join(
        f"{name} {us:,.0f} ({cost['batches'][name]:,} batches)"
        for name, us in cost.get("cpu_us_per_batch", {}).items()
    )
    requests = cost["kafka_requests"]
    by_type = ", ".join(
        f"{name} {n:.2f}" for name, n in list(requests["by_type_per_inquiry"].items())[:4]
    )
    waits = " ".join(
        f"{name} {w.get('queue', 0.0):.2f}/{w.get('round_trip', 0.0):.2f}"
        for name, w in cost.get("kafka_producer_waits_ms", {}).items()
    )
    return (
        f"{figures['core']:<9} {figures['rate_target']:>8.0f}/s offered, "
        f"{figures['rate_achieved']:>8.0f}/s achieved, sent {figures['sent']}, "
        f"lost {figures['lost']}: p50 {figures['p50_us'] / 1000:.2f} ms, "
        f"p90 {figures['p90_us'] / 1000:.2f}, p99 {figures['p99_us'] / 1000:.2f}, "
        f"p99.9 {figures['p999_us'] / 1000:.2f}, max {figures['max_us'] / 1000:.2f} ms\n"
        f"    {stages}\n    CPU µs per inquiry: {cpu}\n"
        f"    CPU µs per batch: {per_batch or 'none counted'}\n"
        f"    Kafka requests: {requests['per_second']['total']:,.0f}/s, "
        f"{requests['per_inquiry']['total']:.2f} per inquiry ({by_type})\n"
        f"    producer waits, ms queued/round trip: {waits or 'none counted'}"
    )


def original_client_cost(alone: dict[str, Any], beside: dict[str, Any]) -> dict[str, Any]:
    """The gateway's CPU per inquiry without and with a client of the original format."""
    without = alone["cost"]["cpu_us_per_inquiry"]["gateway"]
    with_original = beside["cost"]["cpu_us_per_inquiry"]["gateway"]
    return {
        "rate_target": alone["rate_target"],
        "gateway_us_per_inquiry_without": without,
        "gateway_us_per_inquiry_with": with_original,
        "ratio": round(with_original / without, 2) if without > 0 else None,
        "original_client": beside["original_client"],
    }


def describe_original_client_cost(cost: dict[str, Any]) -> str:
    seen = cost["original_client"]
    ratio = f"{cost['ratio']:.2f} times" if cost["ratio"] is not None else "n/a"
    return (
        f"gateway CPU per inquiry at {cost['rate_target']:,.0f}/s: "
        f"{cost['gateway_us_per_inquiry_without']:,.1f} µs with the batched client alone, "
        f"{cost['gateway_us_per_inquiry_with']:,.1f} µs with an original-format client beside "
        f"it ({ratio}); that client got {seen['states']:,} states in {seen['frames']:,} "
        f"frames, lost {seen['lost']}, p50 {seen['p50_us'] / 1000:.2f} ms, "
        f"p99 {seen['p99_us'] / 1000:.2f} ms"
    )


def _rate(text: str) -> float:
    value = float(text)
    if not 1 <= value <= 100_000:
        raise argparse.ArgumentTypeError(f"{text}: the rate must be within 1..100000 per second")
    return value


def _seconds(text: str) -> float:
    value = float(text)
    if not 0 <= value <= 3600:
        raise argparse.ArgumentTypeError(f"{text}: seconds must be within 0..3600")
    return value
