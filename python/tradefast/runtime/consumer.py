"""Batches from Kafka, with manual, at-least-once commits.

A batch is whatever is available now, up to `max_messages`: never wait to fill it. A service's
loop takes what librdkafka already holds; only when nothing is there does it wait for the next
message, then takes whatever else arrived with it. It waits on the loop's own thread: a service
loop has nothing else to run while it has no batch (it yields to the loop once per batch, so
signals get their turn, and a wait lasts at most `wait`), and handing the wait to a worker thread
cost more CPU than the rest of a one-message batch (docs/bench.md). The gateway, whose loop also
serves its clients, waits in a worker thread instead (`StageFeed`).
Rebalance callbacks run inside those calls, so they see no batch being handled: on revoke,
`settle` waits until every output published so far is acknowledged, then the offsets of
everything handled are committed synchronously before the partitions go.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from confluent_kafka import Consumer, KafkaError, Message, TopicPartition

from tradefast.runtime.metrics import ServiceMetrics

log = logging.getLogger(__name__)

# Offsets below 0 are librdkafka's "no position yet" markers.
NO_OFFSET = 0


class BatchConsumer:
    def __init__(
        self,
        config: dict[str, Any],
        topics: list[str],
        metrics: ServiceMetrics,
        settle: Callable[[], None],
    ) -> None:
        self._consumer = Consumer(config)
        self._metrics = metrics
        self._settle = settle
        # Next offset to commit per (topic, partition), for batches fully handled.
        self._handled: dict[tuple[str, int], int] = {}
        self._consumer.subscribe(topics, on_assign=self._on_assign, on_revoke=self._on_revoke)

    async def next_batch(self, max_messages: int, wait: float) -> list[Message]:
        """Up to `max_messages` valid messages available now, waiting at most `wait` seconds for
        the first (blocking the loop meanwhile: see above). Broker-side errors are logged and
        counted, never returned."""
        await asyncio.sleep(0)
        consume = self._consumer.consume
        messages: list[Message] = consume(max_messages, 0)
        if not messages:
            # One message, not `max_messages`: librdkafka would wait to fill the batch.
            messages = consume(1, wait)
            if messages and max_messages > 1:
                messages.extend(consume(max_messages - 1, 0))
        return self._without_errors(messages)

    def _without_errors(self, messages: list[Message]) -> list[Message]:
        good = [m for m in messages if m.error() is None]
        if len(good) != len(messages):
            for message in messages:
                error = message.error()
                if error is not None and error.code() != KafkaError._PARTITION_EOF:
                    self._metrics.errors.inc()
                    log.warning("consume error: %s", error)
        return good

    def mark_handled(self, batch: list[Message]) -> None:
        """Record that `batch` is handled and its outputs published: its offsets go with the
        next `commit`, which the caller makes once those outputs are acknowledged."""
        for message in batch:
            topic, partition, offset = message.topic(), message.partition(), message.offset()
            if topic is not None and partition is not None and offset is not None:
                self._handled[(topic, partition)] = offset + 1

    def commit(self, asynchronous: bool = True) -> dict[tuple[str, int], int]:
        """Commit the handled offsets; asynchronous in the hot loop (a lost commit only means a
        replay, which the services absorb), synchronous on revoke and close. Returns them."""
        handled = dict(self._handled)
        if handled:
            offsets = [TopicPartition(t, p, o) for (t, p), o in handled.items()]
            if asynchronous:
                self._consumer.commit(offsets=offsets, asynchronous=True)
            else:
                self._consumer.commit(offsets=offsets, asynchronous=False)
        return handled

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

    def close(self, commit: bool) -> None:
        """Commit what was handled (if `commit`: its outputs are acknowledged), leave the group
        and release the client."""
        if commit:
            try:
                self.commit(asynchronous=False)
            except Exception as exc:  # closing goes on: the next owner replays
                log.warning("final commit failed (%s): the next owner replays from there", exc)
        self._consumer.close()

    def _on_assign(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        log.info("assigned %s", _describe(partitions))
        self._metrics.assigned.inc(len(partitions))

    def _on_revoke(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        log.info("revoked %s", _describe(partitions))
        self._metrics.assigned.dec(len(partitions))
        revoked = {(tp.topic, tp.partition) for tp in partitions}
        # Raises if an output failed: then nothing is committed and the service stops to replay.
        self._settle()
        offsets = [
            TopicPartition(t, p, o) for (t, p), o in self._handled.items() if (t, p) in revoked
        ]
        if offsets:
            try:
                consumer.commit(offsets=offsets, asynchronous=False)
            except Exception as exc:  # the new owner replays; the fence absorbs it
                log.warning("commit on revoke failed: %s", exc)
        for key in revoked:
            self._handled.pop(key, None)


def _describe(partitions: list[TopicPartition]) -> str:
    return ", ".join(f"{tp.topic}[{tp.partition}]" for tp in partitions) or "nothing"
