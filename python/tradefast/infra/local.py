"""Kafka and Redis as local processes: `up` (idempotent), `status`, `down` (by pid only).

State (which pid serves which address) is kept in TRADEFAST_HOME/infra/state.json, so a later
`status` or `down` knows what this project started and leaves everything else alone. A server
that already answers at the configured address is used as it is and never stopped by us.

Servers started for one owner process (`tradefast run`, a test session) have the owner's pid in
the state file: should one outlive its owner, `status` and the next `tradefast run` say so, with
the command that stops it.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import NotRequired, TypedDict

import psutil

from tradefast.config import Settings
from tradefast.infra import kafka_jars
from tradefast.infra.errors import InfraError
from tradefast.infra.kafka_broker import KafkaBroker, kafka_answers
from tradefast.infra.netcheck import accepts_connections, split_host_port
from tradefast.infra.processes import ProcessRecord, is_running, stop
from tradefast.infra.redis_server import RedisServer, redis_answers, redis_host_port
from tradefast.infra.toolchain import find_redis_server
from tradefast.infra.topics import ensure_topics
from tradefast.progress import Report, silent, step

KAFKA = "kafka"
REDIS = "redis"


class _Saved(TypedDict):
    address: str
    process: dict[str, float]
    owner: NotRequired[dict[str, float]]  # the process whose servers these are, if any


class State(Enum):
    STARTED = "started"  # by this call
    RUNNING = "running"  # started by an earlier `up`, still ours
    ORPHANED = "orphaned"  # started for an owner process that is gone, still running
    ADOPTED = "adopted"  # was orphaned; this call made it its own
    EXTERNAL = "external"  # something else answers there; we use it and never stop it
    STOPPED = "stopped"


@dataclass(frozen=True)
class ServerStatus:
    name: str
    address: str
    state: State
    record: ProcessRecord | None
    log_file: Path | None
    owner: ProcessRecord | None = None

    def describe(self) -> str:
        line = f"{self.name:<6} {self.state.value:<9} {self.address}"
        if self.record is not None and self.state is not State.STOPPED:
            line += f"  pid {self.record.pid}"
        if self.log_file is not None and self.state is not State.EXTERNAL:
            line += f"  log {self.log_file}"
        if self.state is State.ORPHANED and self.owner is not None:
            line += (
                f"\n       left running by pid {self.owner.pid} (gone, e.g. a killed "
                "`tradefast run`): `tradefast infra down` stops it"
            )
        return line


class LocalInfra:
    """The broker and Redis for one TRADEFAST_HOME, at the addresses `settings` names."""

    def __init__(
        self,
        settings: Settings,
        start_timeout: float = 90.0,
        ephemeral: bool = False,
        owned: bool = False,
    ) -> None:
        """ephemeral: servers for tests; the broker uses JVM flags that start faster but serve
        slower, and both stop by themselves if this process dies, even by SIGKILL.
        ephemeral or owned: the servers this object starts belong to this process (a test
        session, `tradefast run`), and `up` takes over those left by an earlier owner that is
        gone."""
        self.settings = settings
        self.start_timeout = start_timeout
        home = Path(settings.home)
        self.owned = ephemeral or owned
        self.kafka = KafkaBroker(home / KAFKA, ephemeral=ephemeral)
        self.redis = RedisServer(home / REDIS, die_with_parent=ephemeral)
        self.state_file = home / "infra" / "state.json"

    def up(self, report: Report = silent) -> list[ServerStatus]:
        """Make both servers answer and the topics exist; start only what is missing.

        report: each step as it starts and its duration, for a person watching."""
        saved = self._load_state()
        kafka_address, redis_address = self.settings.kafka_bootstrap, self.settings.redis_url
        kafka = self._status_of(KAFKA, kafka_address, saved, self.kafka.log_file)
        redis = self._status_of(REDIS, redis_address, saved, self.redis.log_file)
        if self.owned:
            kafka, redis = (self._adopt(server) for server in (kafka, redis))
        # Check both addresses before starting anything, so a bad one leaves nothing behind.
        if kafka.state is State.STOPPED:
            kafka_host, kafka_port = split_host_port(kafka_address)
            _refuse_foreign_listener("Kafka", kafka_host, kafka_port, "TRADEFAST_KAFKA_BOOTSTRAP")
        if redis.state is State.STOPPED:
            redis_host, redis_port = redis_host_port(redis_address)
            _refuse_foreign_listener("Redis", redis_host, redis_port, "TRADEFAST_REDIS_URL")
        servers: list[ServerStatus] = []
        try:
            # Both start at once; each then says how long it took to answer.
            kafka_since = redis_since = time.monotonic()
            if kafka.state is State.STOPPED:
                if not kafka_jars.present():
                    with step(
                        f"fetching the Kafka {kafka_jars.KAFKA_VERSION} jars from Maven Central "
                        "(first run only)",
                        report,
                    ):
                        kafka_jars.ensure_jars(report=report)
                report(f"==> starting Kafka on {kafka_address} (log {self.kafka.log_file})")
                kafka_since = time.monotonic()
                record = self.kafka.start(kafka_host, kafka_port, self.settings.partitions)
                kafka = self._remember(KAFKA, kafka_address, record, self.kafka.log_file)
            servers.append(kafka)
            if redis.state is State.STOPPED:
                binary = find_redis_server()
                report(f"==> starting Redis on {redis_address} ({binary.origin})")
                redis_since = time.monotonic()
                record = self.redis.start(redis_host, redis_port, binary)
                redis = self._remember(REDIS, redis_address, record, self.redis.log_file)
            servers.append(redis)
            # Also for ours that run already: an earlier `up` may have been interrupted while
            # they were still starting. One probe returns at once when they answer.
            # Redis first: it answers at once, the broker takes seconds.
            if redis.record is not None:
                self.redis.wait_until_answers(redis.record, redis_address, self.start_timeout)
                if redis.state is State.STARTED:
                    report(f"    Redis answers after {time.monotonic() - redis_since:.1f} s")
            if kafka.record is not None:
                self.kafka.wait_until_answers(kafka.record, kafka_address, self.start_timeout)
                if kafka.state is State.STARTED:
                    report(f"    Kafka answers after {time.monotonic() - kafka_since:.1f} s")
            with step(f"creating the topics on {kafka_address}", report):
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

    def down(self, wipe: bool = False, only: frozenset[str] | None = None) -> list[ServerStatus]:
        """Stop what this project started (by pid): all of it, or the servers named in `only`;
        with wipe, delete the data folders too."""
        saved = self._load_state()
        stopped = []
        for name, grace, log_file in (
            (KAFKA, 30.0, self.kafka.log_file),
            (REDIS, 10.0, self.redis.log_file),
        ):
            if only is not None and name not in only:
                continue
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

    def owned_by_this_process(self) -> frozenset[str]:
        """The servers in the state file that this process started or took over."""
        me = os.getpid()
        return frozenset(
            name
            for name, entry in self._load_state().items()
            if "owner" in entry and int(entry["owner"]["pid"]) == me
        )

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
                owner = ProcessRecord.from_json(entry["owner"]) if "owner" in entry else None
                if owner is not None and not is_running(owner):
                    return ServerStatus(name, address, State.ORPHANED, record, log_file, owner)
                return ServerStatus(name, address, State.RUNNING, record, log_file, owner)
        answers = kafka_answers(address, 2.0) if name == KAFKA else redis_answers(address)
        if answers:
            return ServerStatus(name, address, State.EXTERNAL, None, None)
        return ServerStatus(name, address, State.STOPPED, None, log_file)

    def _adopt(self, server: ServerStatus) -> ServerStatus:
        """Make an orphaned server this process's own, as if it had started it."""
        if server.state is not State.ORPHANED or server.record is None:
            return server
        assert server.log_file is not None
        return self._remember(
            server.name, server.address, server.record, server.log_file, State.ADOPTED
        )

    def _stop_started(self, servers: list[ServerStatus]) -> None:
        """After a failed `up`, stop what this call started so nothing is left half-running."""
        saved = self._load_state()
        for server in servers:
            if server.state is State.STARTED and server.record is not None:
                stop(server.record, grace_seconds=10.0)
                saved.pop(server.name, None)
        self._save_state(saved)

    def _remember(
        self,
        name: str,
        address: str,
        record: ProcessRecord,
        log_file: Path,
        state: State = State.STARTED,
    ) -> ServerStatus:
        saved = self._load_state()
        saved[name] = {"address": address, "process": record.to_json()}
        owner = None
        if self.owned:
            me = os.getpid()
            owner = ProcessRecord(me, psutil.Process(me).create_time())
            saved[name]["owner"] = owner.to_json()
        self._save_state(saved)
        return ServerStatus(name, address, state, record, log_file, owner)

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
