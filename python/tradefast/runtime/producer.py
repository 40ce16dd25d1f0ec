"""Publishing with delivery confirmation: `send` queues, `flush` waits (off the event loop) until
the broker acknowledged everything queued, and raises if anything failed, so offsets are
committed only for batches whose outputs are safely stored."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from typing import Any

from confluent_kafka import KafkaError, KafkaException, Message, Producer

log = logging.getLogger(__name__)

Headers = list[tuple[str, str | bytes | None]]

# How long `send` lets librdkafka drain a full local queue before trying again.
QUEUE_FULL_WAIT = 0.05
CONNECT_RETRY = 0.2


class DeliveryFailed(RuntimeError):
    """The broker did not acknowledge a message; the batch must not be committed."""


class BatchProducer:
    def __init__(self, config: dict[str, Any]) -> None:
        # Delivery reports only for failures: one Python call per failed message, none per success.
        self._producer = Producer(
            {**config, "delivery.report.only.error": True, "on_delivery": self._on_delivery}
        )
        self._failures: list[str] = []

    async def connect(self, topic: str, timeout: float) -> None:
        """Wait until the broker serves `topic` (it answers and the topic has its leaders); raise
        DeliveryFailed after `timeout` seconds. A sender can then start its clock without
        counting the connection setup."""
        loop = asyncio.get_running_loop()
        deadline = time.monotonic() + timeout
        while True:
            remaining = max(0.1, deadline - time.monotonic())
            try:
                metadata = await loop.run_in_executor(
                    None, self._producer.list_topics, topic, remaining
                )
                error = metadata.topics[topic].error
                problem = None if error is None else f"topic {topic}: {error}"
            except KafkaException as exc:
                problem = f"Kafka does not answer: {exc}"
            if problem is None:
                return
            if time.monotonic() >= deadline:
                raise DeliveryFailed(problem)
            # A topic just created may not have its leaders yet: ask again.
            await asyncio.sleep(CONNECT_RETRY)

    def send(
        self, topic: str, key: bytes | None, value: bytes, headers: Headers | None = None
    ) -> None:
        """Queue one message; waits for room when the local queue is full."""
        while True:
            try:
                self._producer.produce(topic, value, key, headers=headers)
                return
            except BufferError:
                self._producer.poll(QUEUE_FULL_WAIT)

    def send_many(self, topic: str, keys: Sequence[bytes], values: Sequence[bytes]) -> None:
        produce = self._producer.produce
        for key, value in zip(keys, values, strict=True):
            try:
                produce(topic, value, key)
            except BufferError:
                self.send(topic, key, value)

    def serve(self) -> None:
        """Serve delivery reports without waiting (call regularly when not flushing)."""
        self._producer.poll(0)

    def acknowledged(self) -> bool:
        """True when everything sent so far is acknowledged (without waiting); raises
        DeliveryFailed if anything failed."""
        self._producer.poll(0)
        self.raise_failures()
        return len(self._producer) == 0

    async def flush(self) -> None:
        """Wait until everything queued is acknowledged; raise DeliveryFailed otherwise."""
        loop = asyncio.get_running_loop()
        remaining = await loop.run_in_executor(None, self._producer.flush)
        self.raise_failures(remaining)

    def flush_blocking(self, timeout: float = 30.0) -> None:
        self.raise_failures(self._producer.flush(timeout))

    def close(self, timeout: float = 10.0) -> None:
        """Deliver what is still queued (best effort: the caller has not committed for it)."""
        self._producer.flush(timeout)
        self._producer.close()

    def raise_failures(self, remaining: int = 0) -> None:
        if remaining:
            self._failures.append(f"{remaining} messages still unacknowledged")
        if self._failures:
            failures, self._failures = self._failures, []
            raise DeliveryFailed(f"{len(failures)} deliveries failed, first: {failures[0]}")

    def _on_delivery(self, error: KafkaError | None, message: Message) -> None:
        if error is not None:
            self._failures.append(f"{message.topic()}: {error}")
