"""`tradefast bench e2e`: end-to-end latency under open-loop load.

Kafka and Redis are reused when they answer at the configured addresses, else started and stopped
again. The bench always starts its own position service, auto trader and gateway (processes, as
`tradefast run` starts them) on a fresh topic prefix, so old data and a running pipeline never
interfere. For each load step a WebSocket client (its own process, `bench.ws_client`) connects,
then the generator (its own process) sends `rate * duration` inquiries at `rate`. created_ns is the
generator's scheduled send time, so a stall anywhere, the generator's included, shows as latency.
Inquiries of the first `warmup` seconds count as sent and received but stay out of the histograms.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tradefast import config
from tradefast.config import Settings
from tradefast.infra.errors import InfraError
from tradefast.infra.netcheck import split_host_port
from tradefast.infra.redis_server import redis_host_port
from tradefast.integration.pipeline import (
    Pipeline,
    Servers,
    cpu_seconds,
    feed_url,
    fresh_settings,
    listener_pid,
    start_servers,
)
from tradefast.supervisor import SupervisorError

CORES = ("rust", "reference")
# How long the client may still wait for final updates after the generator has sent everything.
DRAIN = 15.0
CLIENT_READY_TIMEOUT = 30.0
SAMPLE_INTERVAL = 0.2


class BenchError(RuntimeError):
    """The benchmark could not run (a process failed); the message says which and why."""


@dataclass
class Bench:
    """A running pipeline to offer load to; ids keep increasing across steps."""

    pipeline: Pipeline
    core: str
    next_id: int
    # Kafka and Redis processes, when they run on this machine: their CPU is reported too.
    servers: dict[str, int]

    def step(self, rate: float, duration: float, warmup: float) -> dict[str, Any]:
        """Offer `rate` inquiries/s for `duration` s; the step's figures."""
        count = max(1, round(rate * duration))
        first_id = self.next_id
        self.next_id += count
        out = self.pipeline.log_dir / f"client-{first_id}.json"
        record_from = first_id + min(count - 1, round(rate * warmup))
        before = self._cpu_seconds()
        with _client(self.pipeline, first_id, count, record_from, out) as client:
            generator_cpu, sent_seconds = _generate(self.pipeline, rate, count, first_id)
            try:
                client.wait(DRAIN)
            except subprocess.TimeoutExpired:
                client.send_signal(signal.SIGTERM)
                client.wait(CLIENT_READY_TIMEOUT)
        after = self._cpu_seconds()
        if not out.exists():
            raise BenchError(f"the bench client wrote no results (exit code {client.returncode})")
        seen: dict[str, Any] = json.loads(out.read_text())
        cpu = {name: round(after[name] - before.get(name, 0.0), 2) for name in after}
        cpu["generator"] = round(generator_cpu, 2)
        cpu["client"] = seen["cpu_seconds"]
        return _figures(self.core, rate, duration, warmup, count, sent_seconds, seen, cpu)

    def _cpu_seconds(self) -> dict[str, float]:
        used = self.pipeline.cpu_seconds()
        used.update({name: cpu_seconds(pid) for name, pid in self.servers.items()})
        return used


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
        "loadavg": [round(v, 2) for v in os.getloadavg()],
    }


@contextmanager
def _client(
    pipeline: Pipeline, first_id: int, count: int, record_from: int, out: Path
) -> Iterator[subprocess.Popen[str]]:
    argv = [sys.executable, "-m", "tradefast.bench.ws_client", "--url"]
    argv += [feed_url(pipeline.settings), "--first-id", str(first_id), "--count", str(count)]
    argv += ["--record-from", str(record_from), "--out", str(out)]
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


def _generate(pipeline: Pipeline, rate: float, count: int, first_id: int) -> tuple[float, float]:
    """Run the generator to the end; its CPU seconds and wall-clock seconds."""
    started = time.monotonic()
    args = ["--rate", str(rate), "--count", str(count), "--start-id", str(first_id)]
    generator = pipeline.generator(args)
    used = 0.0
    while generator.poll() is None:
        used = max(used, cpu_seconds(generator.pid))
        time.sleep(SAMPLE_INTERVAL)
    if generator.returncode != 0:
        raise BenchError(
            f"the generator exited with code {generator.returncode} "
            f"(log: {pipeline.log_dir / 'generator.log'})"
        )
    return used, time.monotonic() - started


@contextmanager
def running_bench(settings: Settings, core: str) -> Iterator[Bench]:
    """A fresh pipeline on `core`, stopped on exit; logs under TRADEFAST_HOME/bench/<prefix>."""
    fresh = fresh_settings(settings, f"bench-{core}")
    log_dir = Path(settings.home) / "bench" / fresh.topics.prefix.rstrip(".")
    pipeline = Pipeline(fresh, log_dir, env={"TRADEFAST_CORE": core})
    try:
        pipeline.start()
        next_id = time.time_ns() // 1_000_000 * 1000
        yield Bench(pipeline, core, next_id, server_pids(settings))
    except SupervisorError as exc:
        raise BenchError(f"the pipeline did not start: {exc}") from None
    finally:
        pipeline.stop()


def server_pids(settings: Settings) -> dict[str, int]:
    """The local Kafka and Redis processes by name, those that can be found."""
    ports = {
        "kafka": split_host_port(settings.kafka_bootstrap.split(",")[0])[1],
        "redis": redis_host_port(settings.redis_url)[1],
    }
    pids = {name: listener_pid(port) for name, port in ports.items()}
    return {name: pid for name, pid in pids.items() if pid is not None}


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
    add_load_arguments(e2e, duration=20.0)
    e2e.add_argument("--rate", type=_rate, default=10_000.0, help="inquiries/s (default 10000)")
    e2e.add_argument("--json", type=Path, metavar="FILE", help="also write the figures here")
    e2e.set_defaults(func=_run)


def add_load_arguments(parser: argparse.ArgumentParser, duration: float) -> None:
    parser.add_argument(
        "--duration", type=_seconds, default=duration, help=f"seconds (default {duration:g})"
    )
    parser.add_argument(
        "--warmup", type=_seconds, default=2.0, help="first seconds kept out of the histograms"
    )
    parser.add_argument(
        "--core", choices=CORES, default=None, help="rust or reference (default: TRADEFAST_CORE)"
    )


def _run(args: argparse.Namespace) -> int:
    try:
        settings = config.load()
        core = args.core or settings.core
        with servers_for(settings), running_bench(settings, core) as bench:
            figures = bench.step(args.rate, args.duration, args.warmup)
    except (BenchError, InfraError, config.ConfigError, OSError) as exc:
        print(f"tradefast bench e2e: {exc}", file=sys.stderr)
        return 1
    print(describe(figures))
    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(figures, indent=2) + "\n")
    return 0


def describe(figures: dict[str, Any]) -> str:
    stages = "  ".join(
        f"{name} p50 {s['p50_us'] / 1000:.2f} p99 {s['p99_us'] / 1000:.2f} ms"
        for name, s in figures["stages"].items()
    )
    cpu = " ".join(f"{name} {seconds:.1f}" for name, seconds in figures["cpu"].items())
    return (
        f"{figures['core']:<9} {figures['rate_target']:>8.0f}/s offered, "
        f"{figures['rate_achieved']:>8.0f}/s achieved, sent {figures['sent']}, "
        f"lost {figures['lost']}: p50 {figures['p50_us'] / 1000:.2f} ms, "
        f"p90 {figures['p90_us'] / 1000:.2f}, p99 {figures['p99_us'] / 1000:.2f}, "
        f"p99.9 {figures['p999_us'] / 1000:.2f}, max {figures['max_us'] / 1000:.2f} ms\n"
        f"    {stages}\n    CPU s: {cpu}"
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
