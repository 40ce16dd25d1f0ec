"""Batches from Kafka, and the commits a `Checkpoint` decides.

A batch is whatever is available now, up to `max_messages`: never wait to fill it. A service's
loop takes what librdkafka already holds; only when nothing is there does it wait for the next
message, then takes whatever else arrived with it. It waits on the loop's own thread: a service
loop has nothing else to run while it has no batch (it yields to the loop once per batch, so
signals get their turn, and a wait lasts at most `wait`), and handing the wait to a worker thread
cost more CPU than the rest of a one-message batch (docs/bench.md). The gateway, whose loop also
serves its clients, waits the same way for at most 50 ms at a time (`StageFeed`).
Rebalance callbacks run inside those calls, so they see no batch being handled: on revoke, the
checkpoint settles the outputs and commits the revoked partitions before they go.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from typing import Any

from confluent_kafka import Consumer, KafkaError, Message, TopicPartition

from tradefast.runtime.metrics import ServiceMetrics

log = logging.getLogger(__name__)

# Offsets below 0 are librdkafka's "no position yet" markers.
NO_OFFSET = 0


def available(consumer: Consumer, max_messages: int, wait: float) -> list[Message]:
    """What librdkafka holds now, up to `max_messages`; only when it holds nothing, the first
    message to come within `wait` seconds and whatever arrived with it (blocking meanwhile)."""
    messages: list[Message] = consumer.consume(max_messages, 0)
    if not messages:
        # One message, not `max_messages`: librdkafka would wait to fill the batch.
        messages = consumer.consume(1, wait)
        if messages and max_messages > 1:
            messages.extend(consumer.consume(max_messages - 1, 0))
    return messages


class BatchConsumer:
    def __init__(self, config: dict[str, Any], metrics: ServiceMetrics) -> None:
        self._consumer = Consumer(config)
        self._metrics = metrics
        self._revoked: Callable[[set[tuple[str, int]]], None] = lambda partitions: None

    def subscribe(self, topics: list[str], revoked: Callable[[set[tuple[str, int]]], None]) -> None:
        """Join the group for `topics`; `revoked` is told the partitions that go, before they
        go (a Checkpoint's `revoke`)."""
        self._revoked = revoked
        self._consumer.subscribe(topics, on_assign=self._on_assign, on_revoke=self._on_revoke)

    async def next_batch(self, max_messages: int, wait: float) -> list[Message]:
        """Up to `max_messages` valid messages available now, waiting at most `wait` seconds for
        the first (blocking the loop meanwhile: see above). Broker-side errors are logged and
        counted, never returned."""
        await asyncio.sleep(0)
        return self._without_errors(available(self._consumer, max_messages, wait))

    def _without_errors(self, messages: list[Message]) -> list[Message]:
        good = [m for m in messages if m.error() is None]
        if len(good) != len(messages):
            for message in messages:
                error = message.error()
                if error is not None and error.code() != KafkaError._PARTITION_EOF:
                    self._metrics.errors.inc()
                    log.warning("consume error: %s", error)
        return good

    def commit(self, offsets: Mapping[tuple[str, int], int], asynchronous: bool) -> None:
        """Commit `offsets` (the next offset to read per partition)."""
        if offsets:
            partitions = [TopicPartition(t, p, o) for (t, p), o in offsets.items()]
            # The stub overloads commit() on a literal flag; both forms take a bool.
            self._consumer.commit(offsets=partitions, asynchronous=asynchronous)  # type: ignore[call-overload]

    def report_lag(self) -> None:
        """Set the lag gauge of each assigned partition from cached watermarks (no broker call)."""
        assigned = self._consumer.assignment()
        if not assigned:
            return
        for tp in self._consumer.position(assigned):
            if tp.offset < NO_OFFSET:
                continue
            _, high = self._consumer.get_watermark_offsets(tp, cached=True)
            if high >= 0:
                self._metrics.lag(tp.topic, tp.partition, max(0, high - tp.offset))

    def close(self) -> None:
        """Leave the group and release the client."""
        self._consumer.close()

    def _on_assign(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        log.info("assigned %s", _describe(partitions))
        self._metrics.assigned.inc(len(partitions))

    def _on_revoke(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        log.info("revoked %s", _describe(partitions))
        self._metrics.assigned.dec(len(partitions))
        self._revoked({(tp.topic, tp.partition) for tp in partitions})


def _describe(partitions: list[TopicPartition]) -> str:
    return ", ".join(f"{tp.topic}[{tp.partition}]" for tp in partitions) or "nothing"
