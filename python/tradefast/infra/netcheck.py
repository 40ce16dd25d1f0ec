"""Addresses: parse them, see whether something listens, pick free ports."""

from __future__ import annotations

import socket


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


def free_ports_in_a_row(count: int, host: str = "127.0.0.1") -> int:
    """The first of `count` consecutive free ports (a local Redis Cluster's nodes take
    consecutive ports)."""
    for _ in range(100):
        first = free_port(host)
        if first + count <= 65536 and all(
            can_bind(host, port) for port in range(first, first + count)
        ):
            return first
    raise OSError(f"found no {count} free ports in a row on {host}")
