"""The gateway's view of the stage topics: a consumer that never commits and never joins a group.

It assigns every partition of the three stage topics explicitly at its current end, so a gateway
(re)start shows what happens from now on (the snapshot covers the past through Redis and the
inquiries it sees), and a running gateway never takes partitions away from another one.

It waits for Kafka on the gateway's own loop, as the services do, but never longer than its
`wait` (50 ms in the gateway), so the loop's other work (its clients' sockets, timers) waits at
most that long while no message comes; each batch gives the loop a turn. Waiting in a thread of
its own and handing each batch over cost the CPU of a second thread wake-up per batch, the
largest single cost of the gateway at 1,000/s (docs/bench.md).
"""

from __future__ import annotations

import asyncio
import logging
import uuid

from confluent_kafka import Consumer, KafkaError, KafkaException, Message, TopicPartition

from tradefast.config import Settings
from tradefast.infra import kafka_config
from tradefast.runtime.consumer import available

log = logging.getLogger(__name__)

METADATA_TIMEOUT = 10.0


class FeedFailed(RuntimeError):
    """Consuming failed; the message says why."""


class StageFeed:
    """Batches of raw message values from every partition of the stage topics, from their end."""

    def __init__(self, settings: Settings, max_messages: int, wait: float) -> None:
        """Each batch will be what is available, up to `max_messages`, or empty after `wait` s
        without any."""
        # librdkafka wants a group id even without subscribe(); a unique one never clashes.
        group = f"tradefast-gateway-view-{uuid.uuid4().hex}"
        self._consumer = Consumer(
            kafka_config.consumer_config(settings, group, {"auto.offset.reset": "latest"})
        )
        self._topics = list(settings.topics.stages)
        self.errors = 0
        self._max_messages = max_messages
        self._wait = wait

    def assign_at_end(self) -> int:
        """Assign all partitions at their high watermark; returns how many. Raises
        KafkaException when the broker does not answer or a topic does not exist."""
        metadata = self._consumer.list_topics(timeout=METADATA_TIMEOUT)
        assignment: list[TopicPartition] = []
        for topic in self._topics:
            described = metadata.topics.get(topic)
            if described is None or described.error is not None or not described.partitions:
                raise KafkaException(
                    KafkaError(KafkaError.UNKNOWN_TOPIC_OR_PART, f"topic {topic} does not exist")
                )
            for partition in described.partitions:
                tp = TopicPartition(topic, partition)
                _, high = self._consumer.get_watermark_offsets(tp, timeout=METADATA_TIMEOUT)
                assignment.append(TopicPartition(topic, partition, high))
        self._consumer.assign(assignment)
        return len(assignment)

    async def next_values(self) -> list[bytes]:
        """The values of the next batch (call after `assign_at_end`; blocks the loop for at most
        `wait`); raises FeedFailed when consuming fails."""
        await asyncio.sleep(0)
        try:
            messages = available(self._consumer, self._max_messages, self._wait)
        except KafkaException as exc:
            raise FeedFailed(f"consuming the stage topics failed: {exc}") from exc
        return self._values(messages)

    def _values(self, messages: list[Message]) -> list[bytes]:
        values: list[bytes] = []
        for message in messages:
            error = message.error()
            if error is not None:
                self.errors += 1
                log.warning("consume error: %s", error)
                continue
            value = message.value()
            if value is not None:
                values.append(value)
        return values

    def close(self) -> None:
        self._consumer.close()
