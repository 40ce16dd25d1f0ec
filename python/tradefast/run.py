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
from tradefast.infra.local import GRACE, KAFKA, REDIS, LocalInfra, State, started_here
from tradefast.infra.netcheck import accepts_connections, kafka_answers
from tradefast.infra.topics import ensure_topics
from tradefast.janitor import SERVER, SERVICE, Janitor
from tradefast.output_guard import guard_standard_streams
from tradefast.progress import Report, step
from tradefast.run_lock import hold_run_lock, refuse_taken_ports
from tradefast.service_status import services_status_file
from tradefast.services import registry
from tradefast.services.cli import metrics_port
from tradefast.supervisor import Child, Supervisor

READY_TIMEOUT = 60.0
# Ctrl-C, a closed terminal, `kill`: each stops everything this run started, in order.
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
STOP_GRACE = 5.0
COMPOSE_FILE = "docker-compose.yml"
_TITLES = {KAFKA: "Kafka", REDIS: "Redis"}


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "run", help="start Kafka, Redis, the services and the dashboard; Ctrl-C stops them"
    )
    config.add_flags(parser, ("run_rate",))
    parser.add_argument(
        "--no-browser", action="store_true", help="do not open the dashboard in a browser"
    )
    parser.set_defaults(func=_run)


@dataclass
class Infra:
    """How the servers were obtained, and how to stop those this run started."""

    description: str
    stop: Callable[[], None] | None


def start_infra(settings: config.Settings, report: Report, janitor: Janitor) -> Infra:
    if docker_engine_available():
        already = kafka_answers(settings.kafka_bootstrap, 2.0)
        with step("starting Kafka and Redis with Docker Compose", report):
            subprocess.run(
                ["docker", "compose", "-f", COMPOSE_FILE, "up", "-d", "--wait"], check=True
            )
            ensure_topics(settings)
        if already:
            return Infra("Kafka and Redis were already running: left running", None)
        return Infra(
            "Kafka and Redis started with Docker Compose: stopped on exit",
            _compose_stop,
        )
    local = LocalInfra(settings, owned=True)
    servers = local.up(report)
    ours = started_here(servers)
    for server in servers:
        if server.name in ours and server.record is not None:
            janitor.watch(server.name, server.record, SERVER, GRACE[server.kind])
    lines = [
        f"{_title(s.name)} (pid {s.record.pid}) was left running by an earlier run that is "
        "gone: this run takes it over"
        for s in servers
        if s.state is State.ADOPTED and s.record is not None
    ]
    kept = [_title(s.name) for s in servers if s.name not in ours]
    if ours:
        names = " and ".join(_title(s.name) for s in servers if s.name in ours)
        lines.append(f"{names} started for this run: stopped on exit")
    if kept:
        verb = "were" if len(kept) > 1 else "was"
        lines.append(f"{' and '.join(kept)} {verb} already running: left running")
    stop = (lambda: _down(local, ours)) if ours else None
    return Infra("\n".join(lines), stop)


def _title(name: str) -> str:
    """`Kafka`, `Redis`, or a cluster node's `Kafka kafka-2`."""
    title = _TITLES[name.partition("-")[0]]
    return title if name in _TITLES else f"{title} {name}"


def _compose_stop() -> None:
    subprocess.run(["docker", "compose", "-f", COMPOSE_FILE, "stop"], check=False)


def _down(local: LocalInfra, names: frozenset[str]) -> None:
    local.down(only=names)


def service_addresses(settings: config.Settings) -> dict[str, tuple[str, int]]:
    """Where each child listens once it is ready (its own address, else its metrics port), in
    start order (the registry's: consumers before the generator, so the first inquiries flow
    straight through; the supervisor stops them in reverse, so the others can drain)."""
    return {
        service.name: (
            service.address(settings)
            if service.address is not None
            else ("127.0.0.1", metrics_port(service))
        )
        for service in registry.started_by_run()
    }


def plan(settings: config.Settings, log_dir: Path) -> list[Child]:
    """The children in start order, with their readiness checks."""
    children = []
    for name, (host, port) in service_addresses(settings).items():
        argv = [sys.executable, "-m", "tradefast", "service", name]
        if name == "generator":
            argv += ["--rate", str(settings.run_rate)]
        children.append(Child(name, argv, _listening(host, port), log_dir / f"{name}.log"))
    return children


def _listening(host: str, port: int) -> Callable[[], bool]:
    return lambda: accepts_connections(host, port, timeout=0.2)


class _Interrupted(Exception):
    """A stop signal arrived while the servers were starting (which has no stop flag to poll)."""


def _run(args: argparse.Namespace) -> int:
    guard_standard_streams()
    settings = config.load(flags=args)
    with hold_run_lock(Path(settings.home)):
        refuse_taken_ports(service_addresses(settings))
        return _start(settings, args)


def _start(settings: config.Settings, args: argparse.Namespace) -> int:
    stop = threading.Event()
    starting = threading.Event()

    def on_signal(signum: int, _frame: object) -> None:
        stop.set()
        if starting.is_set():
            starting.clear()
            raise _Interrupted(signal.Signals(signum).name)

    for sig in STOP_SIGNALS:
        signal.signal(sig, on_signal)
    log_dir = Path(settings.home) / "logs"
    janitor = Janitor(log_dir / "janitor.log")
    try:
        starting.set()
        if stop.is_set():
            return 0
        try:
            infra = start_infra(settings, _say, janitor)
        except _Interrupted as exc:
            # LocalInfra.up stops what it had started; this also covers a signal that came just
            # after it returned.
            local = LocalInfra(settings, owned=True)
            local.down(only=local.owned_by_this_process())
            _say(f"tradefast run: {exc} while starting Kafka and Redis: stopped what had started")
            return 0
        except (InfraError, OSError, subprocess.CalledProcessError) as exc:
            raise InfraError(f"cannot start Kafka and Redis: {exc}") from None
        finally:
            starting.clear()
        _say(infra.description)
        children = plan(settings, log_dir)
        return _supervise(settings, args, children, infra, stop, janitor)
    finally:
        janitor.close()


def _supervise(
    settings: config.Settings,
    args: argparse.Namespace,
    children: list[Child],
    infra: Infra,
    stop: threading.Event,
    janitor: Janitor,
) -> int:
    def watched(child: Child) -> None:
        assert child.record is not None
        janitor.watch(child.name, child.record, SERVICE, STOP_GRACE)

    status_file = services_status_file(settings)
    supervisor = Supervisor(
        children, {**os.environ, **settings.to_env()}, _say, watched, status_file
    )
    try:
        with step("starting the services", _say):
            supervisor.start_all(READY_TIMEOUT, stop)
        if stop.is_set():
            return 0
        _announce(settings, children[0].log_file.parent)
        if os.environ.get("DISPLAY") and not args.no_browser:
            webbrowser.open(settings.dashboard_url)
        supervisor.watch(stop)
        return 0
    finally:
        # A second signal must not cut the clean-up short: from here on, signals are ignored.
        for sig in STOP_SIGNALS:
            signal.signal(sig, signal.SIG_IGN)
        _say("stopping...")
        supervisor.stop_all(STOP_GRACE)
        status_file.unlink(missing_ok=True)
        if infra.stop is not None:
            _say("stopping the servers this run started")
            infra.stop()
        else:
            _say("Kafka and Redis left running (not started by this run)")


def _say(line: str) -> None:
    print(line, flush=True)


def _announce(settings: config.Settings, log_dir: Path) -> None:
    print(
        f"\ntradefast is running at {settings.run_rate:g} inquiries/s\n"
        f"  dashboard  {settings.dashboard_url}\n"
        f"  gateway    {settings.gateway_url}\n"
        f"  logs       {log_dir}/<service>.log\n"
        f"  positions  tradefast positions\n"
        "Ctrl-C stops everything this run started.\n",
        flush=True,
    )
