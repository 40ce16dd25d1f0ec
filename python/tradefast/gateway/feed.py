"""The gateway's view of the stage topics: a consumer that never commits and never joins a group.

It assigns every partition of the three stage topics explicitly at its current end, so a gateway
(re)start shows what happens from now on (the snapshot covers the past through Redis and the
inquiries it sees), and a running gateway never takes partitions away from another one.
"""

from __future__ import annotations

import logging
import uuid

from confluent_kafka import Consumer, KafkaError, KafkaException, Message, TopicPartition

from tradefast.config import Settings
from tradefast.infra import kafka_config
from tradefast.runtime.consumer import consume_available

log = logging.getLogger(__name__)

METADATA_TIMEOUT = 10.0


class StageFeed:
    """Batches of raw message values from every partition of the stage topics, from their end."""

    def __init__(self, settings: Settings) -> None:
        # librdkafka wants a group id even without subscribe(); a unique one never clashes.
        group = f"tradefast-gateway-view-{uuid.uuid4().hex}"
        self._consumer = Consumer(
            kafka_config.consumer_config(settings, group, {"auto.offset.reset": "latest"})
        )
        self._topics = list(settings.topics.stages)
        self.errors = 0

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

    async def next_values(self, max_messages: int, wait: float) -> list[bytes]:
        """What is available now, up to `max_messages`; waits up to `wait` s for the first."""
        return self._values(await consume_available(self._consumer, max_messages, wait))

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
