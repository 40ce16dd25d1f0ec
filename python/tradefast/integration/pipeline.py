"""A pipeline under test, for the integration test and the end-to-end benchmark.

`Servers`: Kafka and Redis at the configured addresses, reused when they answer, else started as
local processes and stopped again at the end. `Pipeline`: the consuming services `tradefast run`
starts (the position service, the auto trader and the gateway), each as its own `tradefast
service` process, in the same order, on a fresh topic prefix and free ports, so earlier data
never interferes; the generator runs once per scenario or load step with `generator()`.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import psutil

from tradefast import processes
from tradefast.config import Settings, Topics
from tradefast.infra.local import LocalInfra, ServerStatus, started_here
from tradefast.infra.netcheck import free_port
from tradefast.infra.topics import delete_topics, ensure_topics
from tradefast.services import registry
from tradefast.services.registry import Service
from tradefast.supervisor import Child, Supervisor

log = logging.getLogger(__name__)

READY_TIMEOUT = 120.0
STOP_GRACE = 10.0


@dataclass
class Servers:
    """Kafka and Redis; `stop` stops those this run started."""

    local: LocalInfra
    statuses: list[ServerStatus]

    def describe(self) -> str:
        return "; ".join(s.describe() for s in self.statuses)

    def stop(self) -> None:
        ours = started_here(self.statuses)
        if ours:
            self.local.down(only=ours)


def start_servers(settings: Settings) -> Servers:
    local = LocalInfra(settings)
    return Servers(local, local.up())


def fresh_settings(settings: Settings, label: str) -> Settings:
    """`settings` with a topic prefix of its own and a free gateway port."""
    prefix = f"{label}-{uuid.uuid4().hex[:8]}."
    return replace(settings, topics=Topics(prefix), gateway_port=free_port())


def feed_url(settings: Settings) -> str:
    """The gateway's feed URL, with the access token when one is configured."""
    if settings.ws_token is None:
        return settings.gateway_url
    return f"{settings.gateway_url}?token={urllib.parse.quote(settings.ws_token.reveal())}"


class Pipeline:
    """The consuming services as processes (position service, auto trader, gateway);
    `trader_args` are passed to the trader, `env` (e.g. TRADEFAST_CORE) to all."""

    def __init__(
        self,
        settings: Settings,
        log_dir: Path,
        trader_args: Sequence[str] = (),
        env: dict[str, str] | None = None,
    ) -> None:
        self.settings = settings
        self.log_dir = log_dir
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("TRADEFAST_")},
            **settings.to_env(),
            **(env or {}),
        }
        consumers = [s for s in registry.started_by_run() if s.consumes(settings.topics)]
        self._metrics = {service.name: free_port() for service in consumers}
        extra = {"trader": trader_args}
        children = [self._child(service, extra.get(service.name, ())) for service in consumers]
        self._supervisor = Supervisor(children, self.env, report=lambda _line: None)
        # The topics `start` created, deleted by `stop`.
        self._created: list[str] = []

    def _child(self, service: Service, args: Sequence[str]) -> Child:
        """A consumer is ready once its metrics show it has partitions; one with an address of
        its own once its health check there says so."""
        name = service.name
        argv = [sys.executable, "-m", "tradefast", "service", name]
        argv += ["--metrics-port", str(self._metrics[name]), *args]
        if service.address is not None:
            ready = _healthy(*service.address(self.settings))
        else:
            ready = _assigned(self._metrics[name])
        return Child(name, argv, ready, self.log_dir / f"{name}.log")

    def start(self) -> None:
        """Create the topics, then start each service and wait until it serves (the consumers
        have their partitions, the gateway answers its health check)."""
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self._created += ensure_topics(self.settings)
        self._supervisor.start_all(READY_TIMEOUT)

    def stop(self) -> None:
        """Stop the services, then delete the topics `start` created: a run of its own prefix
        (a benchmark step, an integration scenario) would otherwise leave its partitions on the
        broker for good, and a broker used for many runs carries hundreds of them."""
        self._supervisor.stop_all(STOP_GRACE)
        if self._created:
            created, self._created = self._created, []
            for left in delete_topics(self.settings, created):
                log.warning("could not delete the run's topic %s", left)

    def processes(self) -> dict[str, subprocess.Popen[bytes]]:
        return {c.name: c.process for c in self._supervisor.children if c.process is not None}

    def exited(self) -> list[str]:
        """The services that are no longer running, with their exit codes."""
        return [
            f"{name} exited with code {process.returncode} (log: {self.log_dir / name}.log)"
            for name, process in self.processes().items()
            if process.poll() is not None
        ]

    def generator(self, args: Sequence[str], metrics_port: int = 0) -> subprocess.Popen[bytes]:
        """Start `tradefast service generator ARGS` (metrics on `metrics_port`; 0: none)."""
        argv = [sys.executable, "-m", "tradefast", "service", "generator"]
        argv += ["--metrics-port", str(metrics_port), *args]
        return processes.start(argv, self.log_dir / "generator.log", env=self.env)

    def metrics_urls(self) -> dict[str, str]:
        """The /metrics URL of each service."""
        return {name: metrics_url(port) for name, port in self._metrics.items()}

    def cpu_seconds(self) -> dict[str, float]:
        """User + system CPU seconds used so far by each running service."""
        return {name: cpu_seconds(p.pid) for name, p in self.processes().items()}


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of process `pid` (0 when it is gone)."""
    try:
        times = psutil.Process(pid).cpu_times()
    except psutil.Error:
        return 0.0
    return float(times.user + times.system)


def listener_pid(port: int) -> int | None:
    """The process listening on TCP `port` on this machine, if it can be seen (e.g. the broker,
    to count its CPU too); None otherwise."""
    try:
        connections = psutil.net_connections(kind="tcp")
    except psutil.Error:
        return None
    for connection in connections:
        if connection.status == psutil.CONN_LISTEN and getattr(connection.laddr, "port", 0) == port:
            return connection.pid
    return None


def metrics_url(port: int) -> str:
    return f"http://127.0.0.1:{port}/metrics"


def _assigned(metrics_port: int) -> Callable[[], bool]:
    """Ready when the service's consumer has partitions (its metrics say so)."""
    url = metrics_url(metrics_port)

    def ready() -> bool:
        for line in _get(url).splitlines():
            if line.startswith("tradefast_assigned_partitions{"):
                return float(line.rsplit(" ", 1)[1]) > 0
        return False

    return ready


def _healthy(host: str, port: int) -> Callable[[], bool]:
    url = f"http://{host}:{port}/healthz"
    return lambda: _get(url).startswith("ready")


def _get(url: str) -> str:
    try:
        with urllib.request.urlopen(url, timeout=1.0) as response:
            body: bytes = response.read()
            return body.decode()
    except (urllib.error.URLError, OSError):
        return ""
