"""What a TRADEFAST_REDIS_URL names: one Redis (`redis://`, `rediss://`, `unix://`) or a Redis
Cluster (`redis+cluster://host:port[,host:port...]`, `rediss+cluster://` with TLS), where the
listed nodes are only where the client starts: it learns the rest from the cluster itself."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

CLUSTER_SCHEMES = {"redis+cluster": "redis", "rediss+cluster": "rediss"}
SINGLE_SCHEMES = ("redis", "rediss", "unix")


class BadRedisUrl(ValueError):
    """The URL is not one tradefast can connect to; the message says why."""


@dataclass(frozen=True)
class ClusterUrl:
    """A Redis Cluster URL taken apart: its seed nodes, and a plain URL for each of them that
    carries the same credentials, TLS and options."""

    nodes: tuple[tuple[str, int], ...]
    node_urls: tuple[str, ...]


def is_cluster(url: str) -> bool:
    return url.partition("://")[0] in CLUSTER_SCHEMES


def parse_cluster(url: str) -> ClusterUrl:
    """`redis+cluster://[user:pass@]h1:p1[,h2:p2...][/0][?options]` taken apart."""
    scheme, _, rest = url.partition("://")
    if scheme not in CLUSTER_SCHEMES:
        raise BadRedisUrl(f"{url!r} is not a redis+cluster:// URL")
    parts = urlsplit(f"{CLUSTER_SCHEMES[scheme]}://{rest}")
    if parts.path not in ("", "/", "/0"):
        raise BadRedisUrl(f"{url!r}: a Redis Cluster has database 0 only")
    userinfo, _, hosts = parts.netloc.rpartition("@")
    nodes = []
    for server in hosts.split(","):
        host, sep, port = server.strip().rpartition(":")
        if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise BadRedisUrl(f"{url!r}: {server!r} is not host:port")
        nodes.append((host.strip("[]"), int(port)))
    credentials = f"{userinfo}@" if userinfo else ""
    node_urls = tuple(
        urlunsplit(parts._replace(netloc=f"{credentials}{host}:{port}", path="/0"))
        for host, port in nodes
    )
    return ClusterUrl(tuple(nodes), node_urls)


def validate(url: str) -> None:
    """Raise BadRedisUrl unless `url` names a Redis or a Redis Cluster."""
    if is_cluster(url):
        parse_cluster(url)
        return
    parts = urlsplit(url)
    if parts.scheme not in SINGLE_SCHEMES or not (parts.hostname or parts.path):
        raise BadRedisUrl(
            f"{url!r} is not a Redis URL (expected redis://host:port/db, or "
            "redis+cluster://host:port for a Redis Cluster)"
        )
