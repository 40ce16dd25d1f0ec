"""The position service's batch handler on real Redis: a concurrent writer makes the batch redo,
never double-count; a replay after a crash republishes every enrichment byte for byte; a write
that keeps being refused, or a corrupt stored value, stops the service with one clear error."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping

import pytest
import redis
import redis.asyncio as aioredis
from confluent_kafka import Message
from service_io import inquiry
from tradefast import core
from tradefast.config import Settings
from tradefast.core_types import Position
from tradefast.positions.store import CorruptPosition, PositionStore, Stored, Write
from tradefast.proto.tradefast_pb2 import Inquiry, Status
from tradefast.runtime.outcome import Outcome, Rejection
from tradefast.services.position import PositionHandler, PositionsKeepMoving

OTHER_INSTANCE = Position(1000, 10, 1, 5, 5)
KEY = "position:{BOOK1}:AAPL"
CORES = pytest.mark.parametrize("core_name", ["rust", "reference"])


class RacingStore(PositionStore):
    """Real Redis; after the first read, another writer applies a DONE to every key read."""

    def __init__(self, client: aioredis.Redis) -> None:
        super().__init__(client)
        self.reads = 0

    async def read_states(self, keys: Iterable[str]) -> dict[str, Stored]:
        states = await super().read_states(keys)
        self.reads += 1
        if self.reads == 1:
            for key, state in states.items():
                moved = Write(state.revision, OTHER_INSTANCE, records=(), keep_from=0)
                assert await self.apply({key: moved})
        return states


class RefusingStore(PositionStore):
    """Every fenced write is refused, as if another writer always got there first."""

    async def apply(self, writes: Mapping[str, Write]) -> bool:
        return False


def message(topic: str, offset: int, value: Inquiry, key: bytes = b"BOOK1|AAPL") -> Message:
    return Message(
        topic=topic, partition=0, offset=offset, key=key, value=value.SerializeToString()
    )


def handler_for(settings: Settings, store: PositionStore, core_name: str) -> PositionHandler:
    return PositionHandler(
        core.load(core_name), store, settings.topics.new, settings.topics.enriched
    )


def handle(
    settings: Settings,
    store_type: type[PositionStore],
    batches: list[list[Message]],
    core_name: str = "rust",
) -> list[Outcome]:
    """The outcomes of one handler (one process) handling `batches` in turn."""

    async def run() -> list[Outcome]:
        store = store_type(aioredis.Redis.from_url(settings.redis_url))
        handler = handler_for(settings, store, core_name)
        try:
            return [await handler(batch) for batch in batches]
        finally:
            await store.close()

    return asyncio.run(run())


def done(inquiry_id: int, new_offset: int, **fields: int) -> Inquiry:
    decided = inquiry(inquiry_id, Status.DONE, version=3, **fields)  # type: ignore[arg-type]
    decided.new_offset = new_offset
    return decided


@CORES
def test_a_concurrent_write_makes_the_batch_redo_on_the_new_position(
    settings: Settings, redis_client: redis.Redis, core_name: str
) -> None:
    batch = [
        message(settings.topics.done, 0, done(6, 6, quantity=100, price=200)),
        message(settings.topics.new, 7, inquiry(7)),
    ]

    (outcome,) = handle(settings, RacingStore, [batch], core_name)

    enriched = Inquiry.FromString(outcome.values[0])
    assert (enriched.position, enriched.position_quantity, enriched.sequence) == (21_000, 110, 2)
    assert enriched.new_offset == 7
    assert redis_client.hgetall(KEY) == {
        b"notional": b"21000",
        b"quantity": b"110",
        b"sequence": b"2",
        b"done_offset": b"6",
        b"enriched_offset": b"7",
        b"revision": b"2",
        b"fenced_topic": b"",
    }


@CORES
def test_a_replay_after_a_crash_republishes_the_same_enrichments(
    settings: Settings, redis_client: redis.Redis, core_name: str
) -> None:
    new, decided = settings.topics.new, settings.topics.done
    first = [message(new, 0, inquiry(1))]
    second = [
        message(decided, 0, done(1, 0, quantity=100, price=200)),
        message(new, 1, inquiry(2)),
    ]
    before = handle(settings, PositionStore, [first, second], core_name)
    stored = redis_client.hgetall(KEY)
    # The process died before committing: a new one reads both batches again, as one.
    (replayed,) = handle(settings, PositionStore, [first + second], core_name)

    assert replayed.values == before[0].values + before[1].values, "byte for byte"
    assert [Inquiry.FromString(v).position for v in replayed.values] == [0, 20_000]
    assert redis_client.hgetall(KEY) == stored, "the DONE counted once"
    assert stored[b"notional"] == b"20000" and stored[b"enriched_offset"] == b"1"


def test_records_go_once_acknowledged_and_a_replay_then_skips_the_new(
    settings: Settings, redis_client: redis.Redis
) -> None:
    new = settings.topics.new

    async def run() -> list[Outcome]:
        store = PositionStore(aioredis.Redis.from_url(settings.redis_url))
        handler = handler_for(settings, store, "rust")
        try:
            outcomes = [await handler([message(new, 0, inquiry(1))])]
            handler.committed({(new, 0): 1})
            outcomes.append(await handler([message(new, 1, inquiry(2))]))
            assert redis_client.zrange("enrichments:{BOOK1}:AAPL", 0, -1) == [
                b"1:0:0:0:" + str(Inquiry.FromString(outcomes[1].values[0]).enriched_ns).encode()
            ]
            fresh = handler_for(settings, store, "rust")
            outcomes.append(await fresh([message(new, 0, inquiry(1)), message(new, 1, inquiry(2))]))
            return outcomes
        finally:
            await store.close()

    _, second, replayed = asyncio.run(run())
    assert replayed.values == second.values, "offset 0 was acknowledged: not published again"


def test_a_write_refused_every_time_stops_the_service(settings: Settings) -> None:
    with pytest.raises(PositionsKeepMoving, match="refused 8 times"):
        handle(settings, RefusingStore, [[message(settings.topics.new, 0, inquiry(1))]])


def test_a_corrupt_stored_value_is_named_in_one_line(
    settings: Settings, redis_client: redis.Redis
) -> None:
    redis_client.hset(KEY, mapping={"notional": "12x", "quantity": "1"})
    with pytest.raises(CorruptPosition, match=r"position:\{BOOK1\}:AAPL field notional"):
        handle(settings, PositionStore, [[message(settings.topics.new, 0, inquiry(1))]])


def test_a_wrong_kafka_key_is_refused(settings: Settings) -> None:
    misrouted = inquiry(9, book="BOOK2", instrument="MSFT")
    batch = [message(settings.topics.new, 0, misrouted, key=b"BOOK1|AAPL")]

    (outcome,) = handle(settings, PositionStore, [batch])

    assert outcome.values == []
    assert outcome.rejects == [
        Rejection(0, "key_mismatch", "Kafka key is not the inquiry's book|instrument")
    ]
