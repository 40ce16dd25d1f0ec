"""A local Redis-compatible server (redis-server, or Valkey) with its own data folder and the
append-only file on; on its own, or a node of a Redis Cluster."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlparse

from tradefast.config import ConfigError
from tradefast.infra.errors import InfraError
from tradefast.infra.netcheck import redis_answers
from tradefast.infra.toolchain import RedisBinary, find_redis_server
from tradefast.processes import ProcessRecord, Waited, spawn, tail, wait_until_ready
from tradefast.redis_url import is_cluster, parse_cluster

# A cluster node that misses pings for this long counts as failed and its replica takes over:
# 2 s instead of Redis' 15 s, on loopback where a live node answers in microseconds.
CLUSTER_NODE_TIMEOUT_MS = 2000


def redis_host_port(url: str) -> tuple[str, int]:
    """Host and port of a redis:// URL (a cluster URL's first node); a unix-socket URL cannot be
    started locally."""
    if is_cluster(url):
        return parse_cluster(url).nodes[0]
    parsed = urlparse(url)
    if parsed.scheme not in ("redis", "rediss") or not parsed.hostname:
        raise ConfigError(f"TRADEFAST_REDIS_URL={url!r} is not a redis://host:port/db URL")
    try:
        port = parsed.port or 6379
    except ValueError:
        raise ConfigError(f"TRADEFAST_REDIS_URL={url!r} has a bad port") from None
    return parsed.hostname, port


class RedisServer:
    """The files and process of one local Redis rooted at `root`."""

    def __init__(self, root: Path, die_with_parent: bool = False) -> None:
        self.root = root
        self.die_with_parent = die_with_parent
        self.data_dir = root / "data"
        self.log_file = root / "redis.log"

    def start(
        self,
        host: str,
        port: int,
        binary: RedisBinary | None = None,
        cluster_port: int | None = None,
    ) -> ProcessRecord:
        """cluster_port: start as a Redis Cluster node with its cluster bus on that port."""
        server = binary or find_redis_server()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        argv = [
            server.path,
            "--bind",
            host,
            "--port",
            str(port),
            "--dir",
            str(self.data_dir),
            # AOF, written and fsynced before each reply: a position write the service was told
            # of survives a kill -9 of Redis and a crash of the machine. With "everysec" Redis
            # may answer before writing while a background fsync runs, so a killed Redis lost
            # acknowledged writes whose inputs were committed (a chaos test caught it).
            "--appendonly",
            "yes",
            "--appendfsync",
            "always",
            "--save",
            "",
            "--daemonize",
            "no",
            "--protected-mode",
            "yes",
            "--loglevel",
            "notice",
        ]
        if cluster_port is not None:
            argv += [
                "--cluster-enabled",
                "yes",
                "--cluster-config-file",
                str(self.data_dir / "nodes.conf"),
                "--cluster-port",
                str(cluster_port),
                "--cluster-node-timeout",
                str(CLUSTER_NODE_TIMEOUT_MS),
            ]
        return spawn(
            argv, log_file=self.log_file, cwd=self.root, die_with_parent=self.die_with_parent
        )

    def wait_until_answers(self, record: ProcessRecord, url: str, timeout: float) -> None:
        waited = wait_until_ready(record, lambda: redis_answers(url), timeout, 0.05)
        if waited is Waited.EXITED:
            raise InfraError(
                f"redis-server exited during start-up; {self.log_file} ends with:\n"
                f"{tail(self.log_file)}"
            )
        if waited is Waited.TIMED_OUT:
            raise InfraError(
                f"redis-server (pid {record.pid}) did not answer on {url} within {timeout:.0f} s; "
                f"{self.log_file} ends with:\n{tail(self.log_file)}"
            )
