"""`tradefast run` (and `make run`): the whole pipeline on one machine.

Starts Kafka and Redis (Docker Compose when a Docker engine answers, else local processes) unless
they already answer, then the services and the dashboard under a supervisor; prints where
everything is; on Ctrl-C stops what it started, in order.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import threading
import webbrowser
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tradefast import config
from tradefast.infra.compose import docker_engine_available
from tradefast.infra.errors import InfraError
from tradefast.infra.kafka_broker import kafka_answers
from tradefast.infra.local import LocalInfra, State
from tradefast.infra.netcheck import accepts_connections
from tradefast.infra.topics import ensure_topics
from tradefast.services.cli import SERVICES, metrics_port
from tradefast.services.generator import MAX_RATE
from tradefast.services.options import bounded
from tradefast.supervisor import Child, Supervisor, SupervisorError

# Start order: consumers before the generator, so the first inquiries flow straight through.
# The supervisor stops them in reverse: the generator first, so the others can drain.
START_ORDER = ("position", "trader", "gateway", "dashboard", "generator")
READY_TIMEOUT = 60.0
STOP_GRACE = 5.0
COMPOSE_FILE = "docker-compose.yml"


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "run", help="start Kafka, Redis, the services and the dashboard; Ctrl-C stops them"
    )
    parser.add_argument(
        "--rate",
        type=bounded(float, 0.001, MAX_RATE),
        default=os.environ.get("RATE") or "20",
        help="generator inquiries per second (env RATE; default 20)",
    )
    parser.add_argument(
        "--no-browser", action="store_true", help="do not open the dashboard in a browser"
    )
    parser.set_defaults(func=_run)


@dataclass
class Infra:
    """How the servers were obtained, and how to stop them if this run started them."""

    description: str
    stop: Callable[[], None] | None


def start_infra(settings: config.Settings) -> Infra:
    if docker_engine_available():
        already = kafka_answers(settings.kafka_bootstrap, 2.0)
        subprocess.run(["docker", "compose", "-f", COMPOSE_FILE, "up", "-d", "--wait"], check=True)
        ensure_topics(settings)
        if already:
            return Infra("Kafka and Redis were already running: left running", None)
        return Infra(
            "Kafka and Redis started with Docker Compose: stopped on exit",
            _compose_stop,
        )
    local = LocalInfra(settings)
    servers = local.up()
    started = [s for s in servers if s.state is State.STARTED]
    if started and all(s.state is not State.RUNNING for s in servers):
        names = " and ".join(s.name for s in started)
        return Infra(f"{names} started as local processes: stopped on exit", lambda: _down(local))
    return Infra("Kafka and Redis were already running: left running", None)


def _compose_stop() -> None:
    subprocess.run(["docker", "compose", "-f", COMPOSE_FILE, "stop"], check=False)


def _down(local: LocalInfra) -> None:
    local.down()


def plan(settings: config.Settings, rate: float, log_dir: Path) -> list[Child]:
    """The children in start order, with their readiness checks."""
    ports = {
        "gateway": (settings.gateway_host, settings.gateway_port),
        "dashboard": (settings.dashboard_host, settings.dashboard_port),
    }
    children = []
    for name in START_ORDER:
        if name not in SERVICES:
            continue
        argv = [sys.executable, "-m", "tradefast", "service", name]
        if name == "generator":
            argv += ["--rate", str(rate)]
        host, port = ports.get(name, ("127.0.0.1", metrics_port(name)))
        children.append(Child(name, argv, _listening(host, port), log_dir / f"{name}.log"))
    return children


def _listening(host: str, port: int) -> Callable[[], bool]:
    return lambda: accepts_connections(host, port, timeout=0.2)


def _run(args: argparse.Namespace) -> int:
    try:
        settings = config.load()
    except config.ConfigError as exc:
        print(f"tradefast run: {exc}", file=sys.stderr)
        return 2
    log_dir = Path(settings.home) / "logs"
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda _signum, _frame: stop.set())
    try:
        infra = start_infra(settings)
    except (InfraError, OSError, subprocess.CalledProcessError) as exc:
        print(f"tradefast run: cannot start Kafka and Redis: {exc}", file=sys.stderr)
        return 1
    print(infra.description)
    supervisor = Supervisor(plan(settings, args.rate, log_dir), {**os.environ, **settings.to_env()})
    try:
        supervisor.start_all(READY_TIMEOUT, stop)
        if stop.is_set():
            return 0
        _announce(settings, args.rate, log_dir)
        if os.environ.get("DISPLAY") and not args.no_browser:
            webbrowser.open(settings.dashboard_url)
        supervisor.watch(stop)
        return 0
    except SupervisorError as exc:
        print(f"tradefast run: {exc}", file=sys.stderr)
        return 1
    finally:
        print("stopping...")
        supervisor.stop_all(STOP_GRACE)
        if infra.stop is not None:
            print("stopping Kafka and Redis (started by this run)")
            infra.stop()
        else:
            print("Kafka and Redis left running (not started by this run)")


def _announce(settings: config.Settings, rate: float, log_dir: Path) -> None:
    print(
        f"\ntradefast is running at {rate:g} inquiries/s\n"
        f"  dashboard  {settings.dashboard_url}\n"
        f"  gateway    {settings.gateway_url}\n"
        f"  logs       {log_dir}/<service>.log\n"
        f"  positions  tradefast positions\n"
        "Ctrl-C stops everything this run started.\n",
        flush=True,
    )
