"""Addresses: parse them, see whether something listens, pick free ports."""

from __future__ import annotations

import random
import socket
from collections.abc import Collection


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
