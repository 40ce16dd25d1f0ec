"""The inquiry generator: publishes NEW inquiries to inquiries.new at an accurate rate.

The pacer computes how many inquiries are due since the start and sends that many per tick, so the
rate holds from 1/s to 100k/s whatever each send costs. Each inquiry's created_ns is its scheduled
send time, so measured latency includes any delay of the generator itself.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import time
from dataclasses import dataclass
from typing import Protocol

from tradefast import core
from tradefast.config import Settings
from tradefast.infra import kafka_config
from tradefast.runtime.metrics import ServiceMetrics
from tradefast.runtime.producer import BatchProducer, SendInterrupted
from tradefast.runtime.service import client_overrides
from tradefast.runtime.shutdown import Shutdown
from tradefast.services.registry import KAFKA, Service
from tradefast.services.scenarios import OriginalScenario

log = logging.getLogger(__name__)

# At most this many inquiries per tick, so delivery reports and signals are served when behind.
MAX_PER_TICK = 5_000
# Longest sleep between ticks, so a stop request is seen promptly at low rates.
MAX_SLEEP = 0.05
# Shortest time between ticks: above 1,000/s a tick sends what fell due meanwhile. A wake-up costs
# far more CPU than sending one more inquiry in it; created_ns stays each inquiry's scheduled
# time, so the wait shows in the measured latency (0.5 ms on average).
MIN_TICK = 0.001
CONNECT_TIMEOUT = 30.0


@dataclass(frozen=True)
class Universe:
    books: tuple[str, ...]
    instruments: tuple[str, ...]
    counterparties: tuple[str, ...]


class InquiryFactory:
    """Seeded random inquiries with strictly increasing ids from `start_id`, made a batch at a
    time by the core (one call per tick: see `InquiryMaker` in tradefast/_core.pyi)."""

    def __init__(
        self, universe: Universe, seed: int, start_id: int, core_name: str | None = None
    ) -> None:
        self._maker = core.load(core_name).InquiryMaker(
            seed, universe.books, universe.instruments, universe.counterparties
        )
        self.next_id = start_id

    def make_batch(self, created_ns: list[int]) -> tuple[list[bytes], list[bytes]]:
        """The Kafka keys and values of the next inquiries, one per `created_ns` stamp."""
        keys, values = self._maker.make(self.next_id, created_ns)
        self.next_id += len(created_ns)
        return keys, values


class Factory(Protocol):
    """Makes the next inquiries (Kafka keys, values), one per created_ns stamp."""

    next_id: int

    def make_batch(self, created_ns: list[int]) -> tuple[list[bytes], list[bytes]]: ...


@dataclass(frozen=True)
class Pacer:
    """How many of `count` (None: unbounded) messages at `rate` per second are due after
    `elapsed` seconds; message i is due at i / rate."""

    rate: float
    count: int | None = None

    def due(self, elapsed: float) -> int:
        due = int(elapsed * self.rate) + 1
        return due if self.count is None else min(due, self.count)

    def due_at(self, index: int) -> float:
        return index / self.rate


async def main(args: argparse.Namespace, settings: Settings, shutdown: Shutdown) -> None:
    universe = Universe(
        settings.generator_books, settings.generator_instruments, settings.generator_counterparties
    )
    start_id = settings.generator_start_id or time.time_ns() // 1_000_000 * 1000
    factory: Factory = InquiryFactory(universe, settings.generator_seed, start_id)
    count = settings.generator_count
    if settings.generator_scenario == "original":
        factory = OriginalScenario(start_id)
        count = min(count if count is not None else factory.COUNT, factory.COUNT)
    await generate(factory, Pacer(settings.generator_rate, count), settings, shutdown)


async def generate(factory: Factory, pacer: Pacer, settings: Settings, shutdown: Shutdown) -> None:
    """Send `pacer.count` inquiries (or until stopped) to the new-inquiries topic."""
    producer = BatchProducer(
        kafka_config.producer_config(settings, client_overrides("tradefast-generator")), shutdown
    )
    metrics = ServiceMetrics("generator")
    topic = settings.topics.new
    await producer.connect(topic, CONNECT_TIMEOUT)
    log.info("generating at %g/s to %s from id %d", pacer.rate, topic, factory.next_id)
    start_ns = time.time_ns()
    start = time.perf_counter()
    sent = 0
    try:
        while not shutdown.is_requested and (pacer.count is None or sent < pacer.count):
            due = min(pacer.due(time.perf_counter() - start), sent + MAX_PER_TICK)
            if due > sent:
                stamps = [start_ns + int(pacer.due_at(index) * 1e9) for index in range(sent, due)]
                keys, values = factory.make_batch(stamps)
                await producer.send_many(topic, keys, values)
                metrics.sent(topic, due - sent)
            sent = max(sent, due)
            producer.serve()
            wait = pacer.due_at(sent) - (time.perf_counter() - start)
            await asyncio.sleep(min(max(wait, MIN_TICK), MAX_SLEEP))
        await producer.settle()
    except SendInterrupted as exc:
        log.warning("%s: the unacknowledged inquiries were not published", exc)
    finally:
        producer.close(timeout=0 if shutdown.is_requested else 10)
    log.info("sent %d inquiries, last id %d", sent, factory.next_id - 1)


SERVICE = Service(
    name="generator",
    description="publish NEW inquiries to inquiries.new at a given rate",
    main=main,
    metrics_port=9101,
    produces=lambda topics: (topics.new,),
    needs=(KAFKA,),
    start_order=50,
    settings=(
        "generator_rate",
        "generator_count",
        "generator_seed",
        "generator_start_id",
        "generator_books",
        "generator_instruments",
        "generator_counterparties",
        "generator_scenario",
    ),
)
