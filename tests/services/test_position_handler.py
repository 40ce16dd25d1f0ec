"""The position service's batch handler on real Redis: a concurrent writer (another instance
moving a key between our read and our write) makes the batch redo, never double-count; a message
whose Kafka key differs from its inquiry still uses the right stored position."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

import pytest
import redis
import redis.asyncio as aioredis
from confluent_kafka import Message
from service_io import CORES, inquiry
from tradefast import core
from tradefast.config import Settings
from tradefast.positions.store import Position, PositionStore
from tradefast.proto.tradefast_pb2 import Inquiry, Status
from tradefast.runtime.outcome import Outcome
from tradefast.services.position import PositionHandler

OTHER_INSTANCE: Position = (1000, 10, 1, 5)


class RacingStore(PositionStore):
    """Real Redis; after the first read, another writer applies a DONE to every key read."""

    def __init__(self, client: aioredis.Redis) -> None:
        super().__init__(client)
        self.reads = 0

    async def read_positions(self, keys: Iterable[str]) -> dict[str, Position]:
        positions = await super().read_positions(keys)
        self.reads += 1
        if self.reads == 1:
            for key, position in positions.items():
                assert await self.apply_updates({key: OTHER_INSTANCE}, {key: position[3]})
        return positions


def message(topic: str, offset: int, value: Inquiry, key: bytes = b"BOOK1|AAPL") -> Message:
    return Message(
        topic=topic, partition=0, offset=offset, key=key, value=value.SerializeToString()
    )


def handle(
    settings: Settings, store_type: type[PositionStore], batch: list[Message], core_name: str
) -> Outcome:
    async def run() -> tuple[Outcome, PositionStore]:
        store = store_type(aioredis.Redis.from_url(settings.redis_url))
        handler = PositionHandler(core.load(core_name), store, settings.topics.enriched)
        try:
            return await handler(batch), store
        finally:
            await store.close()

    outcome, store = asyncio.run(run())
    if isinstance(store, RacingStore):
        assert store.reads == 2
    return outcome


@pytest.mark.parametrize("core_name", CORES)
def test_a_concurrent_write_makes_the_batch_redo_on_the_new_position(
    settings: Settings, redis_client: redis.Redis, core_name: str
) -> None:
    done = inquiry(6, Status.DONE, quantity=100, price=200, version=3)
    batch = [message(settings.topics.decided, 0, done), message(settings.topics.new, 0, inquiry(7))]

    outcome = handle(settings, RacingStore, batch, core_name)

    enriched = Inquiry.FromString(outcome.values[0])
    assert (enriched.position, enriched.position_quantity, enriched.sequence) == (21_000, 110, 2)
    assert redis_client.hgetall("position:{BOOK1}:AAPL") == {
        b"notional": b"21000",
        b"quantity": b"110",
        b"sequence": b"2",
        b"last_done_id": b"6",
    }


@pytest.mark.parametrize("core_name", CORES)
def test_a_wrong_kafka_key_still_reads_the_inquiry_s_own_position(
    settings: Settings, redis_client: redis.Redis, core_name: str
) -> None:
    redis_client.hset(
        "position:{BOOK2}:MSFT",
        mapping={"notional": "500", "quantity": "5", "sequence": "1", "last_done_id": "3"},
    )
    misrouted = inquiry(9, book="BOOK2", instrument="MSFT")
    batch = [message(settings.topics.new, 0, misrouted, key=b"BOOK1|AAPL")]

    outcome = handle(settings, PositionStore, batch, core_name)

    enriched = Inquiry.FromString(outcome.values[0])
    assert (enriched.position, enriched.sequence) == (500, 1)
    assert outcome.keys == [b"BOOK2|MSFT"]
