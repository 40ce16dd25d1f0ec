"""A Kafka node in KRaft mode (broker and controller in one JVM, no ZooKeeper): on its own, or one
of a cluster whose nodes each are both (`Quorum`).

Everything of one node lives in one folder: `data/` (the log, kept across restarts),
`server.properties`, `log4j2.properties` and `server.log`.
"""

from __future__ import annotations

import base64
import functools
import subprocess
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from confluent_kafka import KafkaException
from confluent_kafka.admin import AdminClient

from tradefast.infra import kafka_jars
from tradefast.infra.errors import InfraError
from tradefast.infra.netcheck import free_port, kafka_answers
from tradefast.infra.toolchain import require_java
from tradefast.processes import ProcessRecord, Waited, spawn, tail, wait_until_ready

# Serving: G1 with a short pause goal, as Kafka's own scripts use; a modest fixed heap leaves the
# rest of a small machine to the page cache and the services.
SERVING_JVM = (
    "-Xms512m",
    "-Xmx1g",
    "-XX:+UseG1GC",
    "-XX:MaxGCPauseMillis=20",
    "-XX:InitiatingHeapOccupancyPercent=35",
    "-XX:+ExplicitGCInvokesConcurrent",
    "-Djava.awt.headless=true",
)
# Quick start, for test brokers that live a minute: the C1 compiler only and the serial collector
# start about twice as fast on two busy cores, at a throughput tests do not need.
QUICK_START_JVM = (
    "-Xms256m",
    "-Xmx768m",
    "-XX:+UseSerialGC",
    "-XX:TieredStopAtLevel=1",
    "-XX:-UsePerfData",
    "-Djava.awt.headless=true",
)
# Added for each node of a cluster: three JVMs share two cores, so each sizes its GC and JIT
# threads for one and keeps a small heap (Kafka serves from the page cache, not the heap).
CLUSTER_NODE_JVM = ("-Xms192m", "-Xmx512m", "-XX:ActiveProcessorCount=1")

LOG4J2 = """\
# Kafka's own chatter at WARN; start-up and shutdown lines kept so the log shows the lifecycle.
rootLogger.level=WARN
rootLogger.appenderRef.stdout.ref=STDOUT
appender.stdout.type=Console
appender.stdout.name=STDOUT
appender.stdout.layout.type=PatternLayout
appender.stdout.layout.pattern=[%d] %p %m (%c)%n
logger.server.name=kafka.server.KafkaRaftServer
logger.server.level=INFO
"""


def new_cluster_id() -> str:
    return base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")


@dataclass(frozen=True)
class Quorum:
    """A node's place in a cluster of combined broker and controller nodes."""

    node_id: int
    voters: str
    """Every controller, `id@host:port,...`: the same on every node, at every start."""
    controller_port: int
    cluster_id: str
    replication: int


def server_properties(
    host: str,
    port: int,
    controller_port: int,
    data_dir: Path,
    partitions: int,
    quorum: Quorum | None = None,
) -> str:
    """Broker settings for one machine: one replica (or a cluster's), nothing that waits on
    purpose."""
    voters = quorum.voters if quorum else f"1@{host}:{controller_port}"
    replication = quorum.replication if quorum else 1
    min_insync = 2 if replication >= 3 else 1
    settings = {
        "process.roles": "broker,controller",
        "node.id": str(quorum.node_id if quorum else 1),
        "controller.quorum.voters": voters,
        "listeners": f"PLAINTEXT://{host}:{port},CONTROLLER://{host}:{controller_port}",
        "advertised.listeners": f"PLAINTEXT://{host}:{port}",
        "controller.listener.names": "CONTROLLER",
        "inter.broker.listener.name": "PLAINTEXT",
        "listener.security.protocol.map": "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
        "log.dirs": str(data_dir),
        "num.partitions": str(partitions),
        "default.replication.factor": str(replication),
        "min.insync.replicas": str(min_insync),
        "offsets.topic.replication.factor": str(replication),
        # Fewer internal partitions than the default 50: the first consumer group joins faster.
        "offsets.topic.num.partitions": str(partitions),
        "transaction.state.log.replication.factor": str(replication),
        "transaction.state.log.min.isr": str(min_insync),
        "transaction.state.log.num.partitions": str(partitions),
        "share.coordinator.state.topic.replication.factor": str(replication),
        "share.coordinator.state.topic.min.isr": str(min_insync),
        # A group's first rebalance starts at once instead of waiting 3 s for more members.
        "group.initial.rebalance.delay.ms": "0",
        # Two cores: a few threads do the work without contending with the services. One I/O
        # thread, not two: same CPU and p50, p99 at 1,000/s lower in five runs of six
        # (docs/bench.md, seventh cost pass).
        "num.network.threads": "1",
        "num.io.threads": "1",
        "num.recovery.threads.per.data.dir": "2",
        "log.segment.bytes": str(256 * 1024 * 1024),
        "log.retention.hours": "24",
        "auto.create.topics.enable": "true",
        **(CLUSTER_PROPERTIES if quorum else {}),
    }
    return "".join(f"{key}={value}\n" for key, value in settings.items())


# A cluster's controllers fence a broker that has not sent a heartbeat for this long, which moves
# its partitions' leadership and drops it from their in-sync replicas (writes with acks=all wait
# for those): 5 s instead of Kafka's 9 s, still well above a busy two-core machine's pauses.
CLUSTER_PROPERTIES: Mapping[str, str] = {
    "broker.heartbeat.interval.ms": "1000",
    "broker.session.timeout.ms": "5000",
}


class KafkaBroker:
    """The files and process of one local Kafka node rooted at `root`."""

    def __init__(self, root: Path, ephemeral: bool = False, cluster: bool = False) -> None:
        self.root = root
        self.ephemeral = ephemeral
        self.jvm_options = (QUICK_START_JVM if ephemeral else SERVING_JVM) + (
            CLUSTER_NODE_JVM if cluster else ()
        )
        self.data_dir = root / "data"
        self.config_file = root / "server.properties"
        self.log_file = root / "server.log"

    def start(
        self, host: str, port: int, partitions: int, quorum: Quorum | None = None
    ) -> ProcessRecord:
        """Write the config, format the storage on first start, and launch the JVM."""
        java = require_java()
        lib = kafka_jars.ensure_jars()
        self.root.mkdir(parents=True, exist_ok=True)
        # A lone node's controller talks only to itself: any free port, chosen anew each start.
        controller_port = quorum.controller_port if quorum else free_port(host)
        self.config_file.write_text(
            server_properties(host, port, controller_port, self.data_dir, partitions, quorum)
        )
        log4j = self.root / "log4j2.properties"
        log4j.write_text(LOG4J2)
        classpath = f"{lib}/*"
        base = [java, *self.jvm_options, f"-Dlog4j2.configurationFile={log4j}", "-cp", classpath]
        if not (self.data_dir / "meta.properties").exists():
            self._format(base, quorum.cluster_id if quorum else new_cluster_id())
        return spawn(
            [*base, "kafka.Kafka", str(self.config_file)],
            log_file=self.log_file,
            cwd=self.root,
            die_with_parent=self.ephemeral,
        )

    def _format(self, java_base: list[str], cluster_id: str) -> None:
        argv = [
            *java_base,
            "kafka.tools.StorageTool",
            "format",
            # One argument: a random id may start with "-", which would read as an option.
            f"--cluster-id={cluster_id}",
            "--config",
            str(self.config_file),
        ]
        try:
            done = subprocess.run(argv, capture_output=True, text=True, timeout=300, check=False)
        except subprocess.TimeoutExpired:
            raise InfraError(
                f"formatting the Kafka storage in {self.data_dir} took over 300 s: "
                "the machine is overloaded; try again when it is quieter"
            ) from None
        if done.returncode != 0:
            said = "\n".join((done.stdout + done.stderr).strip().splitlines()[-10:])
            raise InfraError(f"formatting the Kafka storage in {self.data_dir} failed:\n{said}")

    def wait_until_answers(self, record: ProcessRecord, bootstrap: str, timeout: float) -> None:
        """Return once a metadata request succeeds; otherwise raise with the log's last lines."""
        answers = functools.partial(kafka_answers, bootstrap, timeout=1.0)
        waited = wait_until_ready(record, answers, timeout, 0.1)
        if waited is Waited.EXITED:
            raise InfraError(
                f"Kafka exited during start-up; {self.log_file} ends with:\n" + tail(self.log_file)
            )
        if waited is Waited.TIMED_OUT:
            raise InfraError(
                f"Kafka (pid {record.pid}) did not answer on {bootstrap} within {timeout:.0f} s; "
                f"a slow machine may need a larger --timeout. {self.log_file} ends with:\n"
                f"{tail(self.log_file)}"
            )


def brokers_registered(bootstrap: str, timeout: float) -> int:
    """How many brokers the cluster at `bootstrap` reports (0 when it does not answer)."""
    admin = AdminClient({"bootstrap.servers": bootstrap, "log_level": 0})
    try:
        return len(admin.list_topics(timeout=timeout).brokers)
    except KafkaException:
        return 0
