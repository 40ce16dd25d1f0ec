"""The fenced position write on a Redis Cluster: one script per hash slot, pipelined. A write
lands slot by slot, so a slot whose key moved is refused while the others are written; a batch
written in part before its process died is redone like a replay and comes out as a batch
written whole."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from collections.abc import Mapping

import pytest
import redis
from confluent_kafka import Message
from conftest import Clusters
from prometheus_client import REGISTRY
from redis.crc import key_slot
from tradefast import core
from tradefast.config import Settings
from tradefast.core_types import Position
from tradefast.infra.local import REDIS
from tradefast.infra.redis_clients import sync_client
from tradefast.positions.store import REPLICA_WAIT_MS, PositionStore, Write, redis_key
from tradefast.proto.tradefast_pb2 import Inquiry, Side, Status
from tradefast.services.position import PositionHandler

pytestmark = pytest.mark.cluster

# Books whose keys hash to slots on all three masters (checked by the first test).
BOOKS = [f"BOOK{n}" for n in range(1, 9)]


def _slot(key: str) -> int:
    return key_slot(redis_key(key).encode())


def _write(position: Position, expected: int) -> Write:
    return Write(expected=expected, position=position, records=(), keep_from=-1)


def test_a_slot_whose_key_moved_is_refused_and_the_other_slots_are_written(
    cluster_settings: Settings,
) -> None:
    keys = [f"{book}|AAPL" for book in BOOKS]
    stale = keys[0]

    async def run() -> tuple[bool, dict[str, Position]]:
        store = PositionStore.from_url(cluster_settings.redis_url)
        try:
            assert await store.apply({key: _write(Position(10, 1, 1, 5, 5), 0) for key in keys})
            # Every key is at revision 1 now: expecting 0 for one key is a stale read.
            moved = {
                key: _write(Position(20, 2, 2, 6, 6), 0 if key == stale else 1) for key in keys
            }
            applied = await store.apply(moved)
            return applied, await store.read_positions(keys)
        finally:
            await store.close()

    applied, positions = asyncio.run(run())
    assert len({_slot(key) // 5462 for key in keys}) == 3, "the books span all three masters"
    assert not applied
    assert positions[stale] == (10, 1, 1, 5, 5), "the stale key's slot is not written"
    assert all(positions[key] == (20, 2, 2, 6, 6) for key in keys[1:]), "the others are"


class DiesMidWrite(PositionStore):
    """Writes the batch's first slots, then fails as a process killed mid-write would."""

    async def apply(self, writes: Mapping[str, Write]) -> bool:
        slots = sorted({_slot(key) for key in writes})
        first = {key: w for key, w in writes.items() if _slot(key) in slots[: len(slots) // 2]}
        assert first and len(first) < len(writes)
        await super().apply(first)
        raise ConnectionError("killed mid-write")


def _batch(settings: Settings) -> list[Message]:
    """Per book: a DONE (of an earlier NEW at offset n) and a NEW, on one partition each."""
    messages = []
    for n, book in enumerate(BOOKS):
        key = f"{book}|AAPL".encode()
        done = Inquiry(
            inquiry_id=n + 1,
            book_id=book,
            instrument_id="AAPL",
            quantity=100 * (n + 1),
            price=250,
            side=Side.SELL if n % 2 else Side.BUY,
            status=Status.DONE,
            version=3,
            counterparty="cpt1",
            event_time=1,
            created_ns=1,
            new_offset=n,
        )
        new = Inquiry()
        new.CopyFrom(done)
        new.inquiry_id, new.status, new.version = n + 100, Status.NEW, 1
        new.ClearField("new_offset")
        messages += [
            Message(
                topic=settings.topics.decided,
                partition=n,
                offset=n,
                key=key,
                value=done.SerializeToString(),
            ),
            Message(
                topic=settings.topics.new,
                partition=n,
                offset=100 + n,
                key=key,
                value=new.SerializeToString(),
            ),
        ]
    return messages


def _handle(settings: Settings, store_type: type[PositionStore]) -> list[Inquiry] | None:
    """The enrichments one handler (one process) publishes for the batch; None if it died."""

    async def run() -> list[Inquiry] | None:
        store = store_type.from_url(settings.redis_url, fenced_topic=settings.topics.new)
        handler = PositionHandler(core.load(), store, settings.topics.new, "out")
        try:
            outcome = await handler(_batch(settings))
        except ConnectionError:
            return None
        finally:
            await store.close()
        return [Inquiry.FromString(value) for value in outcome.values]

    return asyncio.run(run())


def _enrichment(inquiry: Inquiry) -> tuple[int, ...]:
    return (
        inquiry.inquiry_id,
        inquiry.position,
        inquiry.position_quantity,
        inquiry.sequence,
        inquiry.new_offset,
    )


def _positions(settings: Settings) -> dict[str, Position]:
    async def run() -> dict[str, Position]:
        store = PositionStore.from_url(settings.redis_url, settings.topics.new)
        try:
            return await store.read_positions(f"{book}|AAPL" for book in BOOKS)
        finally:
            await store.close()

    return asyncio.run(run())


def test_a_batch_written_in_part_is_redone_like_a_replay(cluster_settings: Settings) -> None:
    whole = _handle(cluster_settings, PositionStore)
    assert whole is not None
    written_whole = _positions(cluster_settings)
    with sync_client(cluster_settings.redis_url, timeout=10.0) as client:
        client.flushdb()

    assert _handle(cluster_settings, DiesMidWrite) is None
    written_in_part = _positions(cluster_settings)
    redone = _handle(cluster_settings, PositionStore)

    assert redone is not None
    assert written_in_part != written_whole, "the first process wrote only some slots"
    assert [_enrichment(i) for i in redone] == [_enrichment(i) for i in whole]
    assert _positions(cluster_settings) == written_whole, "each DONE counted once"


def _replica_of_master_serving(clusters: Clusters, slot: int) -> str:
    """The local node name of a replica of the master that serves `slot` now."""
    nodes = [n for n in clusters.local.nodes if n.kind == REDIS]
    with redis.Redis.from_url(nodes[0].address, socket_timeout=5.0) as any_node:
        table = str(any_node.execute_command("CLUSTER", "NODES"), "ascii")
    rows = [line.split() for line in table.splitlines() if line.strip()]
    master = next(
        row[0]
        for row in rows
        if "master" in row[2]
        and any(
            int(r.split("-")[0]) <= slot <= int(r.split("-")[-1]) for r in row[8:] if r[0].isdigit()
        )
    )
    port = next(
        int(row[1].split("@")[0].rsplit(":", 1)[1])
        for row in rows
        if row[3] == master and "fail" not in row[2]
    )
    return next(n.name for n in nodes if n.port == port)


def test_a_write_counts_only_once_a_replica_has_it(
    cluster_settings: Settings, clusters: Clusters, caplog: pytest.LogCaptureFixture
) -> None:
    key = "BOOK1|AAPL"
    replica = _replica_of_master_serving(clusters, _slot(key))
    (server,) = [s for s in clusters.local.status() if s.name == replica]
    assert server.record is not None
    pid = server.record.pid
    unreplicated = "tradefast_position_unreplicated_writes_total"
    before = REGISTRY.get_sample_value(unreplicated) or 0.0

    async def write() -> tuple[bool, float]:
        store = PositionStore.from_url(cluster_settings.redis_url)
        try:
            await store.read_positions([key])  # connected, the layout known
            os.kill(pid, signal.SIGSTOP)
            try:
                started = time.monotonic()
                applied = await store.apply({key: _write(Position(10, 1, 1, 5, 5), 0)})
                return applied, time.monotonic() - started
            finally:
                os.kill(pid, signal.SIGCONT)
        finally:
            await store.close()

    applied, seconds = asyncio.run(write())
    assert applied
    assert seconds >= REPLICA_WAIT_MS / 1000, "the write waited for the frozen replica"
    assert REGISTRY.get_sample_value(unreplicated) == before + 1
    assert "no replica of Redis master" in caplog.text
