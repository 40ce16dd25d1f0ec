"""A single-node Kafka broker in KRaft mode (broker and controller in one JVM, no ZooKeeper).

Everything of one broker lives in one folder: `data/` (the log, kept across restarts),
`server.properties`, `log4j2.properties` and `server.log`.
"""

from __future__ import annotations

import base64
import subprocess
import time
import uuid
from pathlib import Path

from confluent_kafka import KafkaException
from confluent_kafka.admin import AdminClient

from tradefast.infra import kafka_jars
from tradefast.infra.errors import InfraError
from tradefast.infra.netcheck import accepts_connections, free_port, split_host_port
from tradefast.infra.processes import ProcessRecord, is_running, spawn
from tradefast.infra.toolchain import require_java

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


def server_properties(
    host: str, port: int, controller_port: int, data_dir: Path, partitions: int
) -> str:
    """Broker settings for one machine: one replica, and nothing that waits on purpose."""
    settings = {
        "process.roles": "broker,controller",
        "node.id": "1",
        "controller.quorum.voters": f"1@{host}:{controller_port}",
        "listeners": f"PLAINTEXT://{host}:{port},CONTROLLER://{host}:{controller_port}",
        "advertised.listeners": f"PLAINTEXT://{host}:{port}",
        "controller.listener.names": "CONTROLLER",
        "inter.broker.listener.name": "PLAINTEXT",
        "listener.security.protocol.map": "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
        "log.dirs": str(data_dir),
        "num.partitions": str(partitions),
        "default.replication.factor": "1",
        "min.insync.replicas": "1",
        "offsets.topic.replication.factor": "1",
        # Fewer internal partitions than the default 50: the first consumer group joins faster.
        "offsets.topic.num.partitions": str(partitions),
        "transaction.state.log.replication.factor": "1",
        "transaction.state.log.min.isr": "1",
        "transaction.state.log.num.partitions": str(partitions),
        "share.coordinator.state.topic.replication.factor": "1",
        "share.coordinator.state.topic.min.isr": "1",
        # A group's first rebalance starts at once instead of waiting 3 s for more members.
        "group.initial.rebalance.delay.ms": "0",
        # Two cores: a few threads do the work without contending with the services.
        "num.network.threads": "2",
        "num.io.threads": "4",
        "num.recovery.threads.per.data.dir": "2",
        "log.segment.bytes": str(256 * 1024 * 1024),
        "log.retention.hours": "24",
        "auto.create.topics.enable": "true",
    }
    return "".join(f"{key}={value}\n" for key, value in settings.items())


class KafkaBroker:
    """The files and process of one local broker rooted at `root`."""

    def __init__(self, root: Path, ephemeral: bool = False) -> None:
        self.root = root
        self.ephemeral = ephemeral
        self.jvm_options = QUICK_START_JVM if ephemeral else SERVING_JVM
        self.data_dir = root / "data"
        self.config_file = root / "server.properties"
        self.log_file = root / "server.log"

    def start(self, host: str, port: int, partitions: int) -> ProcessRecord:
        """Write the config, format the storage on first start, and launch the JVM."""
        java = require_java()
        lib = kafka_jars.ensure_jars()
        self.root.mkdir(parents=True, exist_ok=True)
        # The controller talks only to itself; any free port will do, chosen anew each start.
        self.config_file.write_text(
            server_properties(host, port, free_port(host), self.data_dir, partitions)
        )
        log4j = self.root / "log4j2.properties"
        log4j.write_text(LOG4J2)
        classpath = f"{lib}/*"
        base = [java, *self.jvm_options, f"-Dlog4j2.configurationFile={log4j}", "-cp", classpath]
        if not (self.data_dir / "meta.properties").exists():
            self._format(base)
        return spawn(
            [*base, "kafka.Kafka", str(self.config_file)],
            log_file=self.log_file,
            cwd=self.root,
            die_with_parent=self.ephemeral,
        )

    def _format(self, java_base: list[str]) -> None:
        cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
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
            tail = "\n".join((done.stdout + done.stderr).strip().splitlines()[-10:])
            raise InfraError(f"formatting the Kafka storage in {self.data_dir} failed:\n{tail}")

    def wait_until_answers(self, record: ProcessRecord, bootstrap: str, timeout: float) -> None:
        """Return once a metadata request succeeds; otherwise raise with the log's last lines."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not is_running(record):
                raise InfraError(
                    f"Kafka exited during start-up; {self.log_file} ends with:\n{self.log_tail()}"
                )
            if kafka_answers(bootstrap, timeout=1.0):
                return
            time.sleep(0.1)
        raise InfraError(
            f"Kafka (pid {record.pid}) did not answer on {bootstrap} within {timeout:.0f} s; "
            f"a slow machine may need a larger --timeout. {self.log_file} ends with:\n"
            f"{self.log_tail()}"
        )

    def log_tail(self, lines: int = 20) -> str:
        if not self.log_file.exists():
            return "(no log written)"
        return "\n".join(self.log_file.read_text(errors="replace").splitlines()[-lines:])


def kafka_answers(bootstrap: str, timeout: float) -> bool:
    """True when a broker at `bootstrap` answers a metadata request within `timeout`."""
    host, port = split_host_port(bootstrap)
    if not accepts_connections(host, port):
        return False
    # log_level 0: refused or foreign connections are expected while probing, not worth a line.
    admin = AdminClient({"bootstrap.servers": bootstrap, "log_level": 0})
    try:
        admin.list_topics(timeout=timeout)
    except KafkaException:
        return False
    return True
