"""Addresses: parse them, see whether something listens or answers as Kafka or Redis, pick free
ports. No server is started from here: the services' start-up checks use it too."""

from __future__ import annotations

import random
import socket
from collections.abc import Collection, Mapping
from typing import cast

import redis
from confluent_kafka import KafkaException
from confluent_kafka.admin import AdminClient

from tradefast.infra.redis_clients import sync_client


def split_host_port(address: str) -> tuple[str, int]:
    """`host:port` of the first server of a bootstrap list."""
    first = address.split(",")[0].strip()
    host, _, port = first.rpartition(":")
    return host.strip("[]"), int(port)


def accepts_connections(host: str, port: int, timeout: float = 0.5) -> bool:
    """True when something accepts a TCP connection on host:port."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def kafka_answers(
    bootstrap: str, timeout: float, client: Mapping[str, object] | None = None
) -> bool:
    """True when a broker of `bootstrap` answers a metadata request within `timeout`. `client`:
    settings to reach it (TLS, SASL)."""
    if "," not in bootstrap and not accepts_connections(*split_host_port(bootstrap)):
        return False
    # log_level 0: refused or foreign connections are expected while probing, not worth a line.
    probe = {**(client or {}), "bootstrap.servers": bootstrap, "log_level": 0}
    admin = AdminClient(cast("dict[str, str | int | float]", probe))
    try:
        admin.list_topics(timeout=timeout)
    except KafkaException:
        return False
    return True


def redis_answers(url: str, timeout: float = 0.5) -> bool:
    """True when a Redis at `url` answers PING (a cluster: every master, once it serves every
    slot)."""
    try:
        client = sync_client(url, timeout)
    except ValueError:  # malformed URL: nothing can answer there
        return False
    except (redis.RedisError, redis.exceptions.RedisClusterException, OSError):
        return False  # a cluster client asks the cluster when it is made
    try:
        return bool(client.ping())
    except (redis.RedisError, redis.exceptions.RedisClusterException, OSError):
        return False
    finally:
        client.close()


def free_port(host: str = "127.0.0.1") -> int:
    """A port nothing listens on right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


def can_bind(host: str, port: int) -> bool:
    """True when a server could listen on host:port now (no listener, no connection using it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((host, port))
        except OSError:
            return False
        return True


# Outgoing connections take their local ports from the ephemeral range (Linux: 32768-60999), so
# a port picked there may be taken by one before the server binds it. The ports of a cluster's
# nodes, which several processes must agree on before any of them listens, come from below it
# (room left for a Redis Cluster's bus ports, 10000 above, to stay below it too).
NODE_PORTS = range(20000, 22700)


def free_ports_in_a_row(count: int, host: str = "127.0.0.1", avoid: Collection[int] = ()) -> int:
    """The first of `count` consecutive ports, below the ephemeral range, that could be bound now
    and are not in `avoid` (ports chosen but not bound yet)."""
    for _ in range(200):
        first = random.choice(NODE_PORTS)
        ports = range(first, first + count)
        if not set(ports) & set(avoid) and all(can_bind(host, port) for port in ports):
            return first
    raise OSError(f"found no {count} free ports in a row on {host}")
