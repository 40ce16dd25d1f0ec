"""The position service: enriches NEW inquiries with their key's position and applies DONE ones.

It consumes inquiries.new and inquiries.done (the trader's DONE decisions; inquiries.decided also
holds the NOT_DONE ones, which move nothing) together, co-partitioned, so one instance owns all
events of a key, and keeps the positions of the keys it has seen in memory (read from Redis the
first time). Per batch: one core `enrich` call, then one atomic fenced Redis write of the moved
positions together with the enrichment of each new NEW, then the enriched inquiries are published
(the runtime commits after the broker acknowledges them). Both are fenced by inquiries.new offsets:
a replayed DONE changes nothing, and a replayed NEW is published again with the enrichment it had
the first time, so its decision never changes. A write refused because a key moved under us
(another instance, a replay) reloads those keys and redoes the batch, a bounded number of times.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import time

from confluent_kafka import Message
from prometheus_client import Counter

from tradefast import core
from tradefast.config import Settings
from tradefast.core_types import Enrichment, Position, Recorded
from tradefast.positions.store import PositionStore, Stored, Write
from tradefast.runtime import FatalError, Outcome, ServiceSpec, rejections, serve
from tradefast.runtime.shutdown import Shutdown
from tradefast.services.registry import KAFKA, REDIS, Service

log = logging.getLogger(__name__)

# Redo a batch whose write was refused at most this often, waiting REDO_FIRST, doubling.
MAX_REDOS, REDO_FIRST = 8, 0.01

REPLAYED = Counter(
    "tradefast_position_replayed",
    "Replayed inputs recognised by their inquiries.new offset: DONEs not counted again, NEWs "
    "published again with their first enrichment (or skipped once acknowledged)",
)
REDONE = Counter(
    "tradefast_position_redone_batches",
    "Batches redone because a key's fences moved under the service",
)


class PositionsKeepMoving(FatalError):
    """The fenced write kept being refused."""


class PositionHandler:
    def __init__(
        self, implementation: core.Core, store: PositionStore, new_topic: str, output: str
    ) -> None:
        self._core = implementation
        self._store = store
        self._new_topic = new_topic
        self._output = output
        self._states: dict[str, Stored] = {}
        # Per partition, the inquiries.new offset below which every output is acknowledged.
        self._acknowledged: dict[int, int] = {}

    def committed(self, offsets: dict[tuple[str, int], int]) -> None:
        for (topic, partition), offset in offsets.items():
            if topic == self._new_topic:
                self._acknowledged[partition] = offset

    async def __call__(self, batch: list[Message]) -> Outcome:
        values, keys, offsets, lowest = self._unpack(batch)
        partitions = {name: partition for name, (partition, _) in lowest.items()}
        delay = REDO_FIRST
        for _ in range(MAX_REDOS):
            await self._load(partitions.keys() - self._states.keys())
            states = {key: self._states[key] for key in partitions}
            positions = {key: state.position for key, state in states.items()}
            recorded = await self._recorded(lowest, positions)
            result = self._core.enrich(values, keys, offsets, positions, recorded, time.time_ns())
            if await self._store.apply(self._writes(result, states, partitions)):
                for key, position in result.updated.items():
                    self._states[key] = Stored(position, states[key].revision + 1)
                if result.replayed:
                    REPLAYED.inc(result.replayed)
                    log.info("absorbed %d replayed inputs (counted once)", result.replayed)
                return Outcome(self._output, result.keys, result.values, rejections(result.errors))
            REDONE.inc()
            log.warning("positions moved under us (another instance or a replay): redoing")
            for key in partitions:
                self._states.pop(key, None)
            await asyncio.sleep(delay)
            delay *= 2
        raise PositionsKeepMoving(
            f"the fenced position write was refused {MAX_REDOS} times in a row: another writer "
            "keeps moving these keys (is a second position service misconfigured?)"
        )

    async def _load(self, keys: set[str]) -> None:
        if keys:
            self._states.update(await self._store.read_states(keys))

    def _unpack(
        self, batch: list[Message]
    ) -> tuple[list[bytes], list[bytes | None], list[int], dict[str, tuple[int, int]]]:
        """The values, Kafka keys and inquiries.new offsets (-1 for another topic) of `batch`,
        and per key its partition and the lowest inquiries.new offset it has here (-1: none)."""
        values: list[bytes] = []
        keys: list[bytes | None] = []
        offsets: list[int] = []
        lowest: dict[str, tuple[int, int]] = {}
        for message in batch:
            key, offset = message.key(), message.offset()
            if offset is None or message.topic() != self._new_topic:
                offset = -1
            values.append(message.value() or b"")
            keys.append(key)
            offsets.append(offset)
            if key is not None:
                name = key.decode(errors="replace")
                seen = lowest.get(name)
                if seen is None or seen[1] < 0 or 0 <= offset < seen[1]:
                    lowest[name] = (message.partition() or 0, offset)
        return values, keys, offsets, lowest

    async def _recorded(
        self, lowest: dict[str, tuple[int, int]], positions: dict[str, Position]
    ) -> dict[tuple[str, int], Recorded]:
        """The stored enrichments of the keys whose NEWs here start at or below their
        enriched_offset: only a replay has any, so this costs a round trip only then."""
        wanted = {
            name: (offset, positions[name][4])
            for name, (_, offset) in lowest.items()
            if 0 <= offset <= positions[name][4]
        }
        return await self._store.read_records(wanted) if wanted else {}

    def _writes(
        self, result: Enrichment, states: dict[str, Stored], partitions: dict[str, int]
    ) -> dict[str, Write]:
        return {
            key: Write(
                expected=states[key].revision,
                position=position,
                records=result.records.get(key, ()),
                keep_from=self._acknowledged.get(partitions[key], -1),
            )
            for key, position in result.updated.items()
        }


def position_spec(
    settings: Settings,
    store: PositionStore,
    core_name: str | None = None,
    batch_size: int = 2000,
) -> ServiceSpec:
    handler = PositionHandler(
        core.load(core_name), store, settings.topics.new, settings.topics.enriched
    )
    return ServiceSpec(
        "position",
        (settings.topics.new, settings.topics.done),
        handler,
        batch_size=batch_size,
        close=store.close,
        on_commit=handler.committed,
    )


async def main(args: argparse.Namespace, settings: Settings, shutdown: Shutdown) -> None:
    store = PositionStore.from_url(settings.redis_url, fenced_topic=settings.topics.new)
    if not store.writes_over_link:
        log.info("fenced writes through redis-py (not a plain redis:// URL): more CPU per batch")
    await serve(position_spec(settings, store, batch_size=settings.batch_size), settings, shutdown)


SERVICE = Service(
    name="position",
    description="enrich NEW inquiries with positions from Redis; apply DONE inquiries",
    main=main,
    metrics_port=9102,
    consumes=lambda topics: (topics.new, topics.done),
    produces=lambda topics: (topics.enriched,),
    needs=(KAFKA, REDIS),
    start_order=10,
    settings=("batch_size",),
)
