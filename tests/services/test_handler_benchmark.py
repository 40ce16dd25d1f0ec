"""Benchmark group `position-handler` of `pytest --benchmark-only`: the position service's handler
on a one-message batch (a NEW: one core call and one fenced write to a real Redis), its write over
the script link (what the service uses) against redis-py's client. At low rates nearly every
batch is this small, so this is the service's cost per wake-up beside the runtime's."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import redis.asyncio as aioredis
import uvloop
from confluent_kafka import Message
from service_io import inquiry
from tradefast import core
from tradefast.config import Settings
from tradefast.positions.store import PositionStore
from tradefast.services.position import PositionHandler

WRITERS = ("script link", "redis-py")


@pytest.fixture(params=WRITERS)
def one_new_batch(
    request: pytest.FixtureRequest, settings: Settings
) -> Iterator[Callable[[], object]]:
    """Handles the next NEW (a fresh offset each call) as a batch of one; returns its outcome."""
    loop = uvloop.new_event_loop()
    new = settings.topics.new

    def store() -> PositionStore:
        if request.param == "script link":
            return PositionStore.from_url(settings.redis_url, fenced_topic=new)
        return PositionStore(aioredis.Redis.from_url(settings.redis_url), fenced_topic=new)

    positions = store()
    assert positions.writes_over_link == (request.param == "script link")
    handler = PositionHandler(core.load("rust"), positions, new, settings.topics.enriched)
    offsets = itertools.count()
    value = inquiry(1).SerializeToString()

    def handle_next() -> object:
        offset = next(offsets)
        batch = [Message(topic=new, partition=0, offset=offset, key=b"BOOK1|AAPL", value=value)]
        return loop.run_until_complete(handler(batch))

    try:
        yield handle_next
    finally:
        loop.run_until_complete(positions.close())
        loop.close()


@pytest.mark.benchmark(group="position-handler")
def test_position_handler_one_new(benchmark: Any, one_new_batch: Callable[[], Any]) -> None:
    outcome = benchmark(one_new_batch)
    assert len(outcome.values) == 1 and not outcome.rejects
