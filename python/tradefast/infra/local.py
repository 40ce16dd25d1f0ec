"""Kafka and Redis as local processes: `up` (idempotent), `status`, `down` (by pid only).

One broker and one Redis by default; with TRADEFAST_KAFKA_BROKERS=3 a Kafka cluster of three
combined broker and controller nodes (`kafka-1`..`kafka-3`), with a redis+cluster:// URL a
Redis Cluster of masters and replicas (`redis-1`..): each node is a server of its own here.

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
from tradefast.infra import kafka_jars, redis_cluster
from tradefast.infra.errors import InfraError
from tradefast.infra.kafka_broker import KafkaBroker, Quorum, brokers_registered, new_cluster_id
from tradefast.infra.kafka_config import client_config
from tradefast.infra.netcheck import (
    accepts_connections,
    free_ports_in_a_row,
    kafka_answers,
    redis_answers,
    split_host_port,
)
from tradefast.infra.redis_server import RedisServer, redis_host_port
from tradefast.infra.toolchain import find_redis_server
from tradefast.infra.topics import ensure_topics
from tradefast.processes import ProcessRecord, is_running, stop_all
from tradefast.progress import Report, silent, step
from tradefast.redis_url import is_cluster

KAFKA = "kafka"
REDIS = "redis"
GRACE = {KAFKA: 30.0, REDIS: 10.0}


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


def started_here(servers: list[ServerStatus]) -> frozenset[str]:
    """The servers this run started or took over: the ones it stops at its end (the others were
    running before it and are left running)."""
    return frozenset(s.name for s in servers if s.state in (State.STARTED, State.ADOPTED))


def kind_of(name: str) -> str:
    """KAFKA or REDIS for a server name: `kafka`, `kafka-2`, `redis-4`."""
    return name.partition("-")[0]


@dataclass(frozen=True)
class Node:
    """One server this home may start: its name, what it serves at, and its files."""

    name: str
    address: str
    root: Path
    port: int

    @property
    def kind(self) -> str:
        return kind_of(self.name)

    @property
    def log_file(self) -> Path:
        return self.root / ("server.log" if self.kind == KAFKA else "redis.log")


@dataclass(frozen=True)
class ServerStatus:
    name: str
    address: str
    state: State
    record: ProcessRecord | None
    log_file: Path | None
    owner: ProcessRecord | None = None

    @property
    def kind(self) -> str:
        return kind_of(self.name)

    def describe(self) -> str:
        line = f"{self.name:<7} {self.state.value:<9} {self.address}"
        if self.record is not None and self.state is not State.STOPPED:
            line += f"  pid {self.record.pid}"
        if self.log_file is not None and self.state is not State.EXTERNAL:
            line += f"  log {self.log_file}"
        if self.state is State.ORPHANED and self.owner is not None:
            line += (
                f"\n        left running by pid {self.owner.pid} (gone, e.g. a killed "
                "`tradefast run`): `tradefast infra down` stops it"
            )
        return line


class LocalInfra:
    """The Kafka and Redis servers of one TRADEFAST_HOME, at the addresses `settings` names."""

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
        self.home = Path(settings.home)
        self.owned = ephemeral or owned
        self.state_file = self.home / "infra" / "state.json"
        self.kafka_cluster = settings.kafka_brokers > 1
        self.redis_cluster = is_cluster(settings.redis_url)
        self.nodes = self._kafka_nodes() + self._redis_nodes()
        self.brokers = {
            node.name: KafkaBroker(node.root, ephemeral=ephemeral, cluster=self.kafka_cluster)
            for node in self.nodes
            if node.kind == KAFKA
        }
        self.redis_servers = {
            node.name: RedisServer(node.root, die_with_parent=ephemeral)
            for node in self.nodes
            if node.kind == REDIS
        }

    def _kafka_nodes(self) -> list[Node]:
        addresses = self.settings.kafka_bootstrap.split(",")
        if not self.kafka_cluster:
            port = split_host_port(addresses[0])[1]
            return [Node(KAFKA, self.settings.kafka_bootstrap, self.home / KAFKA, port)]
        return [
            Node(f"{KAFKA}-{n}", address, self.home / f"{KAFKA}-{n}", split_host_port(address)[1])
            for n, address in enumerate(addresses, 1)
        ]

    def _redis_nodes(self) -> list[Node]:
        url = self.settings.redis_url
        if not self.redis_cluster:
            # Its port is read when it is started: a bad one is an error of `up`, not of `status`.
            return [Node(REDIS, url, self.home / REDIS, 0)]
        host, first = redis_host_port(url)
        return [
            Node(f"{REDIS}-{n}", f"redis://{host}:{port}/0", self.home / f"{REDIS}-{n}", port)
            for n, port in enumerate(redis_cluster.node_ports(first), 1)
        ]

    @property
    def roots(self) -> list[Path]:
        return [node.root for node in self.nodes]

    def up(self, report: Report = silent) -> list[ServerStatus]:
        """Make every server answer (a cluster formed) and the topics exist; start only what is
        missing.

        report: each step as it starts and its duration, for a person watching."""
        saved = self._load_state()
        self._refuse_other_layout(saved)
        statuses = [self._status_of(node, saved) for node in self.nodes]
        if self.owned:
            statuses = [self._adopt(server) for server in statuses]
        _refuse_partly_foreign_cluster(statuses)
        # Check every address before starting anything, so a bad one leaves nothing behind.
        for node, server in zip(self.nodes, statuses, strict=True):
            if server.state is State.STOPPED:
                _refuse_foreign_listener(node)
        servers: list[ServerStatus] = []
        try:
            since = {}
            kafka_to_start = any(s.state is State.STOPPED and s.kind == KAFKA for s in statuses)
            if kafka_to_start and not kafka_jars.present():
                with step(
                    f"fetching the Kafka {kafka_jars.KAFKA_VERSION} jars from Maven Central "
                    "(first run only)",
                    report,
                ):
                    kafka_jars.ensure_jars(report=report)
            # All start at once; each then says how long it took to answer.
            for node, server in zip(self.nodes, statuses, strict=True):
                if server.state is State.STOPPED:
                    server = self._start(node, report)
                    since[node.name] = time.monotonic()
                servers.append(server)
            # Also for ours that run already: an earlier `up` may have been interrupted while
            # they were still starting. One probe returns at once when they answer.
            # Redis first: it answers at once, the brokers take seconds.
            self._wait_until_answer(REDIS, servers, since, report)
            if self.redis_cluster:
                self._form_redis_cluster(report)
            self._wait_until_answer(KAFKA, servers, since, report)
            if self.kafka_cluster:
                self._wait_for_brokers()
            with step(f"creating the topics on {self.settings.kafka_bootstrap}", report):
                ensure_topics(self.settings)
        except BaseException:
            self._stop_started(servers)
            raise
        return servers

    def _wait_until_answer(
        self, kind: str, servers: list[ServerStatus], since: dict[str, float], report: Report
    ) -> None:
        """Each server of `kind` with a process of ours; says how long those just started took."""
        for node, server in zip(self.nodes, servers, strict=False):
            if node.kind == kind and server.record is not None:
                process = self.brokers.get(node.name) or self.redis_servers[node.name]
                process.wait_until_answers(server.record, node.address, self.start_timeout)
                _answered(node, since, report)

    def _start(self, node: Node, report: Report) -> ServerStatus:
        if node.kind == KAFKA:
            report(f"==> starting Kafka {node.name} on {node.address} (log {node.log_file})")
            host, port = split_host_port(node.address)
            record = self.brokers[node.name].start(
                host, port, self.settings.partitions, self._quorum(node)
            )
        else:
            binary = find_redis_server()
            report(f"==> starting Redis {node.name} on {node.address} ({binary.origin})")
            host, port = redis_host_port(node.address)
            record = self.redis_servers[node.name].start(host, port, binary, self._bus_port(node))
        return self._remember(node.name, node.address, record, node.log_file)

    def _quorum(self, node: Node) -> Quorum | None:
        """A cluster node's place in the quorum; the controller ports and the cluster id are
        chosen on the first start and kept, since every node must name the same voters."""
        if not self.kafka_cluster:
            return None
        layout_file = self.home / "infra" / "kafka-cluster.json"
        kafka_nodes = [n for n in self.nodes if n.kind == KAFKA]
        host = split_host_port(kafka_nodes[0].address)[0]
        layout = json.loads(layout_file.read_text()) if layout_file.exists() else {}
        if len(layout.get("controller_ports", ())) != len(kafka_nodes):
            taken = [n.port for n in self.nodes]
            first = free_ports_in_a_row(len(kafka_nodes), host, avoid=taken)
            layout = {
                "cluster_id": new_cluster_id(),
                "controller_ports": [first + n for n in range(len(kafka_nodes))],
            }
            layout_file.parent.mkdir(parents=True, exist_ok=True)
            layout_file.write_text(json.dumps(layout) + "\n")
        ports: list[int] = layout["controller_ports"]
        voters = ",".join(f"{n}@{host}:{port}" for n, port in enumerate(ports, 1))
        index = kafka_nodes.index(node)
        return Quorum(
            node_id=index + 1,
            voters=voters,
            controller_port=ports[index],
            cluster_id=layout["cluster_id"],
            replication=self.settings.kafka_replication,
        )

    def _bus_port(self, node: Node) -> int | None:
        if not self.redis_cluster:
            return None
        redis_nodes = [n for n in self.nodes if n.kind == REDIS]
        host = redis_host_port(node.address)[0]
        ports = redis_cluster.bus_ports(
            self.home / "infra" / "redis-cluster.json", host, [n.port for n in redis_nodes]
        )
        return ports[redis_nodes.index(node)]

    def _form_redis_cluster(self, report: Report) -> None:
        redis_nodes = [n for n in self.nodes if n.kind == REDIS]
        host = redis_host_port(redis_nodes[0].address)[0]
        layout = [(host, n.port, self._bus_port(n) or 0) for n in redis_nodes]
        started = time.monotonic()
        formed = redis_cluster.form([n.address for n in redis_nodes], layout, self.start_timeout)
        if formed:
            report(
                f"    Redis Cluster formed: {redis_cluster.MASTERS} masters with "
                f"{redis_cluster.REPLICAS_PER_MASTER} replica each, in "
                f"{time.monotonic() - started:.1f} s"
            )

    def _wait_for_brokers(self) -> None:
        """Topics with 3 replicas can be created only once 3 brokers are registered."""
        wanted = self.settings.kafka_brokers
        deadline = time.monotonic() + self.start_timeout
        while brokers_registered(self.settings.kafka_bootstrap, 2.0) < wanted:
            if time.monotonic() > deadline:
                raise InfraError(
                    f"the Kafka cluster at {self.settings.kafka_bootstrap} did not register "
                    f"{wanted} brokers within {self.start_timeout:.0f} s; the nodes' logs: "
                    + ", ".join(str(n.log_file) for n in self.nodes if n.kind == KAFKA)
                )
            time.sleep(0.2)

    def status(self) -> list[ServerStatus]:
        """Every server of the configured layout, and any other this home still records."""
        saved = self._load_state()
        names = {node.name for node in self.nodes}
        others = {name: entry for name, entry in saved.items() if name not in names}
        # A recorded node of another layout at a configured address is that address's server.
        taken = {entry["address"] for entry in others.values()}
        configured = [
            self._status_of(node, saved) for node in self.nodes if node.address not in taken
        ]
        recorded = [
            self._status_of(self._recorded_node(name, entry), saved)
            for name, entry in others.items()
        ]
        return configured + recorded

    def _recorded_node(self, name: str, entry: _Saved) -> Node:
        return Node(name, entry["address"], self.home / name, 0)

    def down(self, wipe: bool = False, only: frozenset[str] | None = None) -> list[ServerStatus]:
        """Stop what this project started (by pid): all of it, or the servers named in `only`;
        with wipe, delete the data folders too. The nodes of a kind stop together."""
        saved = self._load_state()
        stopped = []
        for kind in (KAFKA, REDIS):
            names = [
                name for name in saved if kind_of(name) == kind and (only is None or name in only)
            ]
            records = [ProcessRecord.from_json(saved[name]["process"]) for name in names]
            stop_all(records, grace_seconds=GRACE[kind])
            for name, record in zip(names, records, strict=True):
                entry = saved.pop(name)
                node = self._recorded_node(name, entry)
                stopped.append(
                    ServerStatus(name, entry["address"], State.STOPPED, record, node.log_file)
                )
            self._save_state(saved)
        if wipe:
            for folder in self._data_folders():
                shutil.rmtree(folder, ignore_errors=True)
            for layout in ("kafka-cluster.json", "redis-cluster.json"):
                (self.home / "infra" / layout).unlink(missing_ok=True)
        return stopped

    def _data_folders(self) -> list[Path]:
        """The folders of every server this home may hold, of any layout."""
        found = [
            folder
            for kind in (KAFKA, REDIS)
            for folder in self.home.glob(f"{kind}*")
            if folder.is_dir() and kind_of(folder.name) == kind
        ]
        return sorted(set(found) | set(self.roots))

    def owned_by_this_process(self) -> frozenset[str]:
        """The servers in the state file that this process started or took over."""
        me = os.getpid()
        return frozenset(
            name
            for name, entry in self._load_state().items()
            if "owner" in entry and int(entry["owner"]["pid"]) == me
        )

    def _refuse_other_layout(self, saved: dict[str, _Saved]) -> None:
        """Servers of another layout (a single broker when a cluster is asked for, or the
        reverse) that still run would hold the same ports."""
        names = {node.name for node in self.nodes}
        for name, entry in saved.items():
            if name not in names and is_running(ProcessRecord.from_json(entry["process"])):
                raise InfraError(
                    f"{name} started by tradefast still runs at {entry['address']}, which the "
                    "settings no longer name: run `tradefast infra down` first"
                )

    def _status_of(self, node: Node, saved: dict[str, _Saved]) -> ServerStatus:
        name, address, log_file = node.name, node.address, node.log_file
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
        if node.kind == KAFKA:
            answers = kafka_answers(address, 2.0, client_config(self.settings))
        else:
            answers = redis_answers(address)
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
        started = [s for s in servers if s.state is State.STARTED and s.record is not None]
        for kind in (KAFKA, REDIS):
            of_kind = [s for s in started if s.kind == kind]
            stop_all([s.record for s in of_kind if s.record is not None], grace_seconds=10.0)
            for server in of_kind:
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


def _answered(node: Node, since: dict[str, float], report: Report) -> None:
    if node.name in since:
        title = "Kafka" if node.kind == KAFKA else "Redis"
        seconds = time.monotonic() - since.pop(node.name)
        report(f"    {title} {node.name} answers after {seconds:.1f} s")


def _refuse_partly_foreign_cluster(statuses: list[ServerStatus]) -> None:
    """A cluster is used as it is when all its nodes answer and none is ours; some nodes of
    another program's mixed with ours would make no cluster."""
    for kind in (KAFKA, REDIS):
        of_kind = [s for s in statuses if s.kind == kind]
        foreign = [s for s in of_kind if s.state is State.EXTERNAL]
        if foreign and len(foreign) < len(of_kind):
            raise InfraError(
                f"{foreign[0].address} answers as {'Kafka' if kind == KAFKA else 'Redis'} but "
                f"was not started by tradefast for this cluster ({foreign[0].name}): stop that "
                "program, or choose other ports"
            )


def _refuse_foreign_listener(node: Node) -> None:
    if node.kind == KAFKA:
        (host, port), what, variable = split_host_port(node.address), "Kafka", "KAFKA_BOOTSTRAP"
    else:
        (host, port), what, variable = redis_host_port(node.address), "Redis", "REDIS_URL"
    if accepts_connections(host, port):
        raise InfraError(
            f"{host}:{port} is taken by a program that does not answer as {what} and was not "
            f"started by tradefast: stop it, or set TRADEFAST_{variable} to another address"
        )
