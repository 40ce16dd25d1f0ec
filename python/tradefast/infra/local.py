"""Kafka and Redis as local processes: `up` (idempotent), `status`, `down` (by pid only).

State (which pid serves which address) is kept in TRADEFAST_HOME/infra/state.json, so a later
`status` or `down` knows what this project started and leaves everything else alone. A server
that already answers at the configured address is used as it is and never stopped by us.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import TypedDict

from tradefast.config import Settings
from tradefast.infra.errors import InfraError
from tradefast.infra.kafka_broker import KafkaBroker, kafka_answers
from tradefast.infra.netcheck import accepts_connections, split_host_port
from tradefast.infra.processes import ProcessRecord, is_running, stop
from tradefast.infra.redis_server import RedisServer, redis_answers, redis_host_port
from tradefast.infra.topics import ensure_topics

KAFKA = "kafka"
REDIS = "redis"


class _Saved(TypedDict):
    address: str
    process: dict[str, float]


class State(Enum):
    STARTED = "started"  # by this call
    RUNNING = "running"  # started by an earlier `up`, still ours
    EXTERNAL = "external"  # something else answers there; we use it and never stop it
    STOPPED = "stopped"


@dataclass(frozen=True)
class ServerStatus:
    name: str
    address: str
    state: State
    record: ProcessRecord | None
    log_file: Path | None

    def describe(self) -> str:
        line = f"{self.name:<6} {self.state.value:<9} {self.address}"
        if self.record is not None and self.state is not State.STOPPED:
            line += f"  pid {self.record.pid}"
        if self.log_file is not None and self.state is not State.EXTERNAL:
            line += f"  log {self.log_file}"
        return line


class LocalInfra:
    """The broker and Redis for one TRADEFAST_HOME, at the addresses `settings` names."""

    def __init__(
        self, settings: Settings, start_timeout: float = 90.0, ephemeral: bool = False
    ) -> None:
        """ephemeral: servers for tests. The broker uses JVM flags that start faster but serve
        slower, and both stop by themselves if the process that started them dies."""
        self.settings = settings
        self.start_timeout = start_timeout
        home = Path(settings.home)
        self.kafka = KafkaBroker(home / KAFKA, ephemeral=ephemeral)
        self.redis = RedisServer(home / REDIS, ephemeral=ephemeral)
        self.state_file = home / "infra" / "state.json"

    def up(self) -> list[ServerStatus]:
        """Make both servers answer and the topics exist; start only what is missing."""
        saved = self._load_state()
        kafka_address, redis_address = self.settings.kafka_bootstrap, self.settings.redis_url
        kafka = self._status_of(KAFKA, kafka_address, saved, self.kafka.log_file)
        redis = self._status_of(REDIS, redis_address, saved, self.redis.log_file)
        # Check both addresses before starting anything, so a bad one leaves nothing behind.
        if kafka.state is State.STOPPED:
            kafka_host, kafka_port = split_host_port(kafka_address)
            _refuse_foreign_listener("Kafka", kafka_host, kafka_port, "TRADEFAST_KAFKA_BOOTSTRAP")
        if redis.state is State.STOPPED:
            redis_host, redis_port = redis_host_port(redis_address)
            _refuse_foreign_listener("Redis", redis_host, redis_port, "TRADEFAST_REDIS_URL")
        servers: list[ServerStatus] = []
        try:
            if kafka.state is State.STOPPED:
                record = self.kafka.start(kafka_host, kafka_port, self.settings.partitions)
                kafka = self._remember(KAFKA, kafka_address, record, self.kafka.log_file)
            servers.append(kafka)
            if redis.state is State.STOPPED:
                record = self.redis.start(redis_host, redis_port)
                redis = self._remember(REDIS, redis_address, record, self.redis.log_file)
            servers.append(redis)
            # Also for ours that run already: an earlier `up` may have been interrupted while
            # they were still starting. One probe returns at once when they answer.
            if kafka.record is not None:
                self.kafka.wait_until_answers(kafka.record, kafka_address, self.start_timeout)
            if redis.record is not None:
                self.redis.wait_until_answers(redis.record, redis_address, self.start_timeout)
            ensure_topics(self.settings)
        except BaseException:
            self._stop_started(servers)
            raise
        return servers

    def status(self) -> list[ServerStatus]:
        saved = self._load_state()
        return [
            self._status_of(KAFKA, self.settings.kafka_bootstrap, saved, self.kafka.log_file),
            self._status_of(REDIS, self.settings.redis_url, saved, self.redis.log_file),
        ]

    def down(self, wipe: bool = False) -> list[ServerStatus]:
        """Stop what this project started (by pid); with wipe, delete the data folders too."""
        saved = self._load_state()
        stopped = []
        for name, grace, log_file in (
            (KAFKA, 30.0, self.kafka.log_file),
            (REDIS, 10.0, self.redis.log_file),
        ):
            entry = saved.pop(name, None)
            if entry is None:
                continue
            record = ProcessRecord.from_json(entry["process"])
            stop(record, grace_seconds=grace)
            stopped.append(ServerStatus(name, entry["address"], State.STOPPED, record, log_file))
            self._save_state(saved)
        if wipe:
            for folder in (self.kafka.root, self.redis.root):
                shutil.rmtree(folder, ignore_errors=True)
        return stopped

    def _status_of(
        self, name: str, address: str, saved: dict[str, _Saved], log_file: Path
    ) -> ServerStatus:
        entry = saved.get(name)
        if entry is not None:
            record = ProcessRecord.from_json(entry["process"])
            if is_running(record):
                if entry["address"] != address:
                    raise InfraError(
                        f"{name} started by tradefast (pid {record.pid}) serves "
                        f"{entry['address']}, not {address}: run `tradefast infra down` first"
                    )
                return ServerStatus(name, address, State.RUNNING, record, log_file)
        answers = kafka_answers(address, 2.0) if name == KAFKA else redis_answers(address)
        if answers:
            return ServerStatus(name, address, State.EXTERNAL, None, None)
        return ServerStatus(name, address, State.STOPPED, None, log_file)

    def _stop_started(self, servers: list[ServerStatus]) -> None:
        """After a failed `up`, stop what this call started so nothing is left half-running."""
        saved = self._load_state()
        for server in servers:
            if server.state is State.STARTED and server.record is not None:
                stop(server.record, grace_seconds=10.0)
                saved.pop(server.name, None)
        self._save_state(saved)

    def _remember(
        self, name: str, address: str, record: ProcessRecord, log_file: Path
    ) -> ServerStatus:
        saved = self._load_state()
        saved[name] = {"address": address, "process": record.to_json()}
        self._save_state(saved)
        return ServerStatus(name, address, State.STARTED, record, log_file)

    def _load_state(self) -> dict[str, _Saved]:
        if not self.state_file.exists():
            return {}
        try:
            loaded: dict[str, _Saved] = json.loads(self.state_file.read_text())
        except ValueError:
            raise InfraError(
                f"{self.state_file} is damaged: stop the servers it named by hand, then delete it"
            ) from None
        return loaded

    def _save_state(self, saved: dict[str, _Saved]) -> None:
        self.state_file.parent.mkdir(parents=True, exist_ok=True)
        scratch = self.state_file.with_suffix(".tmp")
        scratch.write_text(json.dumps(saved, indent=2) + "\n")
        scratch.replace(self.state_file)


def _refuse_foreign_listener(what: str, host: str, port: int, variable: str) -> None:
    if accepts_connections(host, port):
        raise InfraError(
            f"{host}:{port} is taken by a program that does not answer as {what} and was not "
            f"started by tradefast: stop it, or set {variable} to another address"
        )
