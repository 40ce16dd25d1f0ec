"""Redis clients for a TRADEFAST_REDIS_URL: one Redis, or a Redis Cluster (`redis+cluster://`),
each as an asyncio client (the services) or a blocking one (commands, tests)."""

from __future__ import annotations

from typing import Any

import redis
import redis.asyncio as aioredis
from redis.asyncio.cluster import ClusterNode as AsyncClusterNode
from redis.asyncio.cluster import RedisCluster as AsyncRedisCluster
from redis.cluster import ClusterNode

from tradefast.redis_url import is_cluster, parse_cluster

AsyncClient = aioredis.Redis | AsyncRedisCluster
SyncClient = redis.Redis | redis.RedisCluster


def async_client(url: str, timeout: float | None = None) -> AsyncClient:
    """A client for `url`; `timeout` bounds each connect and reply (None: wait forever)."""
    options: dict[str, Any] = {"socket_timeout": timeout, "socket_connect_timeout": timeout}
    if not is_cluster(url):
        return aioredis.Redis.from_url(url, **options)
    cluster = parse_cluster(url)
    seeds = [AsyncClusterNode(host, port) for host, port in cluster.nodes[1:]]
    return AsyncRedisCluster.from_url(cluster.node_urls[0], startup_nodes=seeds, **options)


def sync_client(url: str, timeout: float | None = None) -> SyncClient:
    """The blocking twin of `async_client`."""
    options: dict[str, Any] = {"socket_timeout": timeout, "socket_connect_timeout": timeout}
    if not is_cluster(url):
        return redis.Redis.from_url(url, **options)
    cluster = parse_cluster(url)
    seeds = [ClusterNode(host, port) for host, port in cluster.nodes[1:]]  # type: ignore[no-untyped-call]
    return redis.RedisCluster.from_url(cluster.node_urls[0], startup_nodes=seeds, **options)
