"""Redis position storage: key layout, pipelined reads, the compare-and-set fence."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

import redis
from tradefast.config import Settings
from tradefast.positions.store import PositionRow, PositionStore, position_key, redis_key

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


def test_absent_keys_read_as_zero_and_updates_apply(
    settings: Settings, redis_client: redis.Redis
) -> None:
    async def use(store: PositionStore) -> tuple[object, bool, object]:
        before = await store.read_positions(["BOOK1|AAPL", "BOOK2|MSFT"])
        applied = await store.apply_updates({"BOOK1|AAPL": (-1500, -30, 2, 17)}, {"BOOK1|AAPL": 0})
        after = await store.read_positions(["BOOK1|AAPL", "BOOK2|MSFT"])
        return before, applied, after

    before, applied, after = with_store(settings, use)
    assert before == {"BOOK1|AAPL": (0, 0, 0, 0), "BOOK2|MSFT": (0, 0, 0, 0)}
    assert applied
    assert after == {"BOOK1|AAPL": (-1500, -30, 2, 17), "BOOK2|MSFT": (0, 0, 0, 0)}
    assert redis_client.hget("position:{BOOK1}:AAPL", "notional") == b"-1500"


def test_fence_refuses_the_whole_write_when_any_key_moved(settings: Settings) -> None:
    async def use(store: PositionStore) -> tuple[bool, dict[str, tuple[int, int, int, int]]]:
        await store.apply_updates({"B|X": (10, 1, 1, 5)}, {"B|X": 0})
        stale = await store.apply_updates(
            {"B|X": (20, 2, 2, 6), "B|Y": (7, 7, 1, 6)}, {"B|X": 0, "B|Y": 0}
        )
        return stale, await store.read_positions(["B|X", "B|Y"])

    stale, positions = with_store(settings, use)
    assert not stale
    assert positions == {"B|X": (10, 1, 1, 5), "B|Y": (0, 0, 0, 0)}


def test_all_positions_lists_every_key_in_order(settings: Settings) -> None:
    big = 2**62  # beyond float precision: stored and read back exactly

    async def use(store: PositionStore) -> list[PositionRow]:
        await store.apply_updates(
            {"BOOK2|AAPL": (big, 1, 1, 9), "BOOK1|TSLA": (-5, -1, 1, 3)},
            {"BOOK2|AAPL": 0, "BOOK1|TSLA": 0},
        )
        return await store.all_positions()

    assert with_store(settings, use) == [
        PositionRow("BOOK1", "TSLA", -5, -1, 1, 3),
        PositionRow("BOOK2", "AAPL", big, 1, 1, 9),
    ]
