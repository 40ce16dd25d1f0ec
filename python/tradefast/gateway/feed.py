"""The gateway's view of the stage topics: a consumer that never commits and never joins a group.

It assigns every partition of the three stage topics explicitly at its current end, so a gateway
(re)start shows what happens from now on (the snapshot covers the past through Redis and the
inquiries it sees), and a running gateway never takes partitions away from another one.

The gateway's loop also serves its clients, so it never waits for Kafka itself: a thread of the
feed waits and hands each batch over (at most AHEAD not yet taken; beyond that, messages wait in
librdkafka). A thread of its own rather than the loop's executor: the executor's hand-over cost
about twice the CPU, paid once per batch, which at low rates means once per message.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
import uuid

from confluent_kafka import Consumer, KafkaError, KafkaException, Message, TopicPartition

from tradefast.config import Settings
from tradefast.infra import kafka_config

log = logging.getLogger(__name__)

METADATA_TIMEOUT = 10.0
AHEAD = 2


class FeedFailed(RuntimeError):
    """The feed's thread stopped on an error; the message says which."""


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
        self._handed: asyncio.Queue[list[Message] | BaseException] = asyncio.Queue()
        # Tokens of room for batches handed over and not yet taken (a SimpleQueue: in C, where
        # threading.Semaphore's Python-level condition cost a few % of the gateway's CPU).
        self._room: queue.SimpleQueue[None] = queue.SimpleQueue()
        for _ in range(AHEAD):
            self._room.put(None)
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

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

    def start(self, max_messages: int, wait: float) -> None:
        """Start handing batches over (call from the loop, after `assign_at_end`): each is what
        was available, up to `max_messages`, or empty after `wait` s without any."""
        loop = asyncio.get_running_loop()
        self._thread = threading.Thread(
            target=self._hand_over, args=(loop, max_messages, wait), name="gateway-feed"
        )
        self._thread.start()

    async def next_values(self) -> list[bytes]:
        """The values of the next batch; raises FeedFailed when the feed's thread failed."""
        handed = await self._handed.get()
        self._room.put(None)
        if isinstance(handed, BaseException):
            raise FeedFailed(f"consuming the stage topics failed: {handed}") from handed
        return self._values(handed)

    def _hand_over(self, loop: asyncio.AbstractEventLoop, max_messages: int, wait: float) -> None:
        consume, put = self._consumer.consume, self._handed.put_nowait
        while not self._stopping.is_set():
            self._room.get()
            try:
                messages: list[Message] = consume(max_messages, 0)
                if not messages:
                    # One message, not `max_messages`: librdkafka would wait to fill the batch.
                    messages = consume(1, wait)
                    if messages and max_messages > 1:
                        messages.extend(consume(max_messages - 1, 0))
            except Exception as exc:  # handed over: the loop raises it, and the gateway exits
                loop.call_soon_threadsafe(put, exc)
                return
            loop.call_soon_threadsafe(put, messages)

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
        if self._thread is not None:
            self._stopping.set()
            self._room.put(None)
            self._thread.join()
        self._consumer.close()
