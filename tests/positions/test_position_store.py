"""Redis position storage: key layout, pipelined reads, the compare-and-set fence."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

import redis
from tradefast.config import Settings
from tradefast.core_types import NO_POSITION, Position
from tradefast.positions.store import PositionRow, PositionStore, Write, position_key, redis_key

T = TypeVar("T")


def with_store(settings: Settings, use: Callable[[PositionStore], Awaitable[T]]) -> T:
    async def run() -> T:
        store = PositionStore.from_url(settings.redis_url)
        try:
            return await use(store)
        finally:
            await store.close()

    return asyncio.run(run())


def test_key_layout_shards_by_book() -> None:
    assert redis_key("BOOK1|AAPL") == "position:{BOOK1}:AAPL"
    assert position_key("position:{BOOK1}:AAPL") == ("BOOK1", "AAPL")
    assert position_key("position:{BOOK1}:BRK:B") == ("BOOK1", "BRK:B")
    assert position_key("something:else") is None


def write(position: Position, expected: int = 0, **fields: object) -> Write:
    records = fields.get("records", ())
    keep_from = fields.get("keep_from", -1)
    assert isinstance(records, tuple) and isinstance(keep_from, int)
    return Write(expected=expected, position=position, records=records, keep_from=keep_from)


def test_absent_keys_read_as_zero_and_writes_apply(
    settings: Settings, redis_client: redis.Redis
) -> None:
    async def use(store: PositionStore) -> tuple[object, bool, object]:
        before = await store.read_positions(["BOOK1|AAPL", "BOOK2|MSFT"])
        applied = await store.apply({"BOOK1|AAPL": write(Position(-1500, -30, 2, 17, 20))})
        after = await store.read_positions(["BOOK1|AAPL", "BOOK2|MSFT"])
        return before, applied, after

    before, applied, after = with_store(settings, use)
    assert before == {"BOOK1|AAPL": NO_POSITION, "BOOK2|MSFT": NO_POSITION}
    assert applied
    assert after == {"BOOK1|AAPL": (-1500, -30, 2, 17, 20), "BOOK2|MSFT": NO_POSITION}
    assert redis_client.hget("position:{BOOK1}:AAPL", "notional") == b"-1500"


def test_fence_refuses_the_whole_write_when_any_key_moved(settings: Settings) -> None:
    async def use(store: PositionStore) -> tuple[bool, dict[str, Position]]:
        await store.apply({"B|X": write(Position(10, 1, 1, 5, 5))})
        stale = await store.apply(
            {"B|X": write(Position(20, 2, 2, 6, 6)), "B|Y": write(Position(7, 7, 1, 6, 6))}
        )
        return stale, await store.read_positions(["B|X", "B|Y"])

    stale, positions = with_store(settings, use)
    assert not stale
    assert positions == {"B|X": (10, 1, 1, 5, 5), "B|Y": NO_POSITION}


def test_records_are_written_read_back_and_dropped_once_acknowledged(settings: Settings) -> None:
    key = "B|X"
    records = tuple((offset, 10 * offset, offset, 1, 99) for offset in range(3_000))

    async def use(store: PositionStore) -> tuple[object, object, object]:
        assert await store.apply({key: write(Position(0, 0, 0, -1, 2_999), records=records)})
        written = await store.read_records({key: (1, 2)})
        later = ((3_000, 5, 5, 5, 5),)
        assert await store.apply(
            {key: write(Position(0, 0, 0, -1, 3_000), 1, records=later, keep_from=2_990)}
        )
        kept = await store.read_records({key: (0, 10_000)})
        return written, sorted(kept), await store.read_positions([key])

    written, kept, positions = with_store(settings, use)
    assert written == {(key, 1): (10, 1, 1, 99), (key, 2): (20, 2, 1, 99)}
    assert kept == [(key, offset) for offset in range(2_990, 3_001)]
    assert positions == {key: (0, 0, 0, -1, 3_000)}


def test_fences_of_another_topic_read_as_none_and_its_records_go(
    settings: Settings, redis_client: redis.Redis
) -> None:
    key = "B|X"
    old_record = ((500, 1, 1, 1, 1),)

    async def use() -> tuple[object, object, object]:
        old = PositionStore.from_url(settings.redis_url, fenced_topic="old.inquiries.new")
        new = PositionStore.from_url(settings.redis_url, fenced_topic="new.inquiries.new")
        try:
            assert await old.apply({key: write(Position(70, 7, 1, 600, 700), records=old_record)})
            seen_by_new = await new.read_states([key])
            assert await new.apply({key: write(Position(70, 7, 1, -1, 3), 1)})
            return (
                seen_by_new,
                await old.read_states([key]),
                await new.read_records({key: (0, 999)}),
            )
        finally:
            await old.close()
            await new.close()

    seen_by_new, seen_by_old, records = asyncio.run(use())
    assert seen_by_new == {key: ((70, 7, 1, -1, -1), 1)}, "positions kept, fences not"
    assert seen_by_old == {key: ((70, 7, 1, -1, -1), 2)}
    assert records == {}, "the old topic's records are gone"


def test_all_positions_lists_every_key_in_order(settings: Settings) -> None:
    big = 2**62  # beyond float precision: stored and read back exactly

    async def use(store: PositionStore) -> list[PositionRow]:
        await store.apply(
            {
                "BOOK2|AAPL": write(Position(big, 1, 1, 9, 9)),
                "BOOK1|TSLA": write(Position(-5, -1, 1, 3, 4)),
            }
        )
        return await store.all_positions()

    assert with_store(settings, use) == [
        PositionRow("BOOK1", "TSLA", Position(-5, -1, 1, 3, 4)),
        PositionRow("BOOK2", "AAPL", Position(big, 1, 1, 9, 9)),
    ]
