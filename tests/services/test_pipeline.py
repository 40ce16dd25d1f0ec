"""Generator, position service and auto trader together on real Kafka and Redis: every inquiry
is decided, positions are exact to the cent, enriched positions are consistent with the DONE
history, and per-key order holds; also with two position-service instances sharing the work.
The services run on the Rust core, their default; the first test also on the Python reference."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import replace

import pytest
import redis
from pipeline_checks import (
    assert_enriched_positions_are_prefix_sums,
    assert_positions_are_sums_of_dones,
    dones_by_key,
    key_of,
    wait_for_positions,
)
from prometheus_client import REGISTRY
from service_io import CORES, decoded, reader, running
from tradefast.config import Settings
from tradefast.positions.store import PositionStore
from tradefast.proto.tradefast_pb2 import Status
from tradefast.runtime.service import serve
from tradefast.runtime.shutdown import Shutdown
from tradefast.services.generator import InquiryFactory, Pacer, Universe, generate
from tradefast.services.position import position_spec
from tradefast.services.trader import trader_spec

COUNT = 3000
RATE = 20_000.0
UNIVERSE = Universe(
    books=("BOOK1", "BOOK2", "BOOK3", "BOOK4"),
    instruments=("AAPL", "MSFT", "GOOG", "AMZN", "TSLA"),
    counterparties=("cpt1", "cpt2"),
)
Main = Callable[[Shutdown], Awaitable[None]]


def sample(metric: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(metric, labels) or 0.0


def position(
    settings: Settings,
    name: str = "position",
    batch_size: int = 500,
    after: tuple[str, int] = ("", 0),
    core_name: str = "rust",
) -> Main:
    """A position-service instance; it starts once the instance named `after[0]` has consumed
    `after[1]` new inquiries, so it can join mid-stream (a rebalance)."""

    async def main(shutdown: Shutdown) -> None:
        first, inputs = after
        while inputs and consumed(first, settings.topics.new) < inputs:
            await asyncio.sleep(0.01)
        store = PositionStore.from_url(settings.redis_url, fenced_topic=settings.topics.new)
        spec = position_spec(settings, store, core_name=core_name, batch_size=batch_size)
        # One consumer group; the names tell the instances apart in the metrics.
        await serve(replace(spec, name=name, group="tradefast-position"), settings, shutdown)

    return main


def consumed(service: str, topic: str) -> float:
    return sample("tradefast_messages_in_total", service=service, topic=topic)


def trader(settings: Settings, core_name: str = "rust") -> Main:
    async def main(shutdown: Shutdown) -> None:
        await serve(trader_spec(settings, 5, 0.3, None, core_name=core_name), settings, shutdown)

    return main


def generator(settings: Settings, after: tuple[str, ...] = (), rate: float = RATE) -> Main:
    """The generator, started once every consumer named in `after` has partitions."""

    async def main(shutdown: Shutdown) -> None:
        while not all(sample("tradefast_assigned_partitions", service=n) for n in after):
            await asyncio.sleep(0.05)
        factory = InquiryFactory(UNIVERSE, seed=11, start_id=1_000_000)
        await generate(factory, Pacer(rate, COUNT), settings, shutdown)

    return main


@pytest.mark.parametrize("core_name", CORES)
def test_every_inquiry_is_decided_and_positions_are_exact(
    settings: Settings, redis_client: redis.Redis, core_name: str
) -> None:
    with (
        reader(settings, settings.topics.decided) as decided_topic,
        reader(settings, settings.topics.enriched) as enriched_topic,
        running(
            position(settings, core_name=core_name),
            trader(settings, core_name),
            generator(settings),
        ),
    ):
        decided = decoded(decided_topic.read(COUNT))
        enriched = decoded(enriched_topic.read(COUNT))
        dones = dones_by_key(decided)
        wait_for_positions(redis_client, dones)

    assert sorted(i.inquiry_id for i in decided) == list(range(1_000_000, 1_000_000 + COUNT))
    assert {i.status for i in decided} == {Status.DONE, Status.NOT_DONE}
    assert all(i.version == 3 for i in decided)
    ids_by_key: dict[str, list[int]] = defaultdict(list)
    for inquiry in decided:
        ids_by_key[key_of(inquiry)].append(inquiry.inquiry_id)
    assert len(ids_by_key) == 20
    assert all(ids == sorted(ids) for ids in ids_by_key.values())
    assert_positions_are_sums_of_dones(redis_client, dones)
    assert_enriched_positions_are_prefix_sums(enriched, dones)


def test_two_position_instances_share_the_work_and_agree(
    settings: Settings, redis_client: redis.Redis
) -> None:
    with (
        reader(settings, settings.topics.decided) as decided_topic,
        reader(settings, settings.topics.enriched) as enriched_topic,
        running(
            position(settings, "position-a", batch_size=100),
            position(settings, "position-b", batch_size=100),
            trader(settings),
            generator(settings, after=("position-a", "position-b"), rate=2000.0),
        ),
    ):
        decided = decoded(decided_topic.read(COUNT))
        dones = dones_by_key(decided)
        wait_for_positions(redis_client, dones)
        enriched = decoded(enriched_topic.read(COUNT))

    assert {i.inquiry_id for i in decided} == set(range(1_000_000, 1_000_000 + COUNT))
    for name in ("position-a", "position-b"):
        assert sample("tradefast_messages_in_total", service=name, topic=settings.topics.new)
    assert_positions_are_sums_of_dones(redis_client, dones)
    assert_enriched_positions_are_prefix_sums(enriched, dones)


def test_an_instance_joining_mid_stream_loses_and_doubles_nothing(
    settings: Settings, redis_client: redis.Redis
) -> None:
    with (
        reader(settings, settings.topics.decided) as decided_topic,
        reader(settings, settings.topics.enriched) as enriched_topic,
        running(
            position(settings, "position-c", batch_size=50),
            position(settings, "position-d", batch_size=50, after=("position-c", COUNT // 4)),
            trader(settings),
            generator(settings, after=("position-c",), rate=1000.0),
        ),
    ):
        decided = decoded(decided_topic.read(COUNT))
        dones = dones_by_key(decided)
        wait_for_positions(redis_client, dones)
        enriched = decoded(enriched_topic.read(COUNT))

    assert sorted(i.inquiry_id for i in enriched) == list(range(1_000_000, 1_000_000 + COUNT))
    assert sorted(i.inquiry_id for i in decided) == list(range(1_000_000, 1_000_000 + COUNT))
    assert consumed("position-d", settings.topics.new)
    assert_positions_are_sums_of_dones(redis_client, dones)
    assert_enriched_positions_are_prefix_sums(enriched, dones)
