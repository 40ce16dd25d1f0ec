"""Publishing with delivery confirmation: `send` queues, `flush` waits (off the event loop) until
the broker acknowledged everything queued, and raises if anything failed, so offsets are
committed only for batches whose outputs are safely stored. When librdkafka's local queue is full
(the broker down, say), sending waits for room off the event loop, so the loop keeps serving
signals and everything else; a stop requested meanwhile interrupts the wait."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from typing import Any

from confluent_kafka import KafkaError, KafkaException, Message, Producer
from prometheus_client import Counter

from tradefast.errors import TradefastError
from tradefast.runtime.shutdown import Shutdown

log = logging.getLogger(__name__)

Headers = list[tuple[str, str | bytes | None]]

# How long `send` lets librdkafka drain a full local queue before trying again.
QUEUE_FULL_WAIT = 0.05
CONNECT_RETRY = 0.2
# The wait slices of `settle`: from the first, doubling up to the last.
SETTLE_FIRST, SETTLE_MAX = 0.001, 0.2

QUEUE_FULL = Counter(
    "tradefast_producer_queue_full",
    "Sends that found librdkafka's local queue full and waited for room",
)


class DeliveryFailed(TradefastError, RuntimeError):
    """The broker did not acknowledge a message; the batch must not be committed."""


class SendInterrupted(RuntimeError):
    """A stop was requested while a send waited for room: the batch must not be committed."""


class BatchProducer:
    def __init__(self, config: dict[str, Any], shutdown: Shutdown | None = None) -> None:
        # Delivery reports only for failures: one Python call per failed message, none per success.
        self._producer = Producer(
            {**config, "delivery.report.only.error": True, "on_delivery": self._on_delivery}
        )
        self._failures: list[str] = []
        self._shutdown = shutdown
        self._waiting = False

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

    async def send(
        self, topic: str, key: bytes | None, value: bytes, headers: Headers | None = None
    ) -> None:
        """Queue one message; waits for room (off the loop) when the local queue is full."""
        while True:
            try:
                self._producer.produce(topic, value, key, headers=headers)
            except BufferError:
                await self._wait_for_room(topic)
            else:
                if self._waiting:
                    self._waiting = False
                    log.info("room in the local queue again: sending")
                return

    async def send_many(self, topic: str, keys: Sequence[bytes], values: Sequence[bytes]) -> None:
        produce = self._producer.produce
        for key, value in zip(keys, values, strict=True):
            try:
                produce(topic, value, key)
            except BufferError:
                await self.send(topic, key, value)

    async def _wait_for_room(self, topic: str) -> None:
        """Let librdkafka deliver (or fail) for a while in a worker thread; raise
        SendInterrupted if a stop is requested meanwhile."""
        QUEUE_FULL.inc()
        if not self._waiting:
            self._waiting = True
            log.warning(
                "the local queue is full (%d messages waiting: is the broker reachable?); "
                "waiting for room to send to %s",
                len(self._producer),
                topic,
            )
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, self._producer.poll, QUEUE_FULL_WAIT)
        self.raise_failures()
        if self._shutdown is not None and self._shutdown.is_requested:
            raise SendInterrupted(f"stopped while waiting for room to send to {topic}")

    def serve(self) -> None:
        """Serve delivery reports without waiting (call regularly when not flushing)."""
        self._producer.poll(0)

    def acknowledged(self) -> bool:
        """True when everything sent so far is acknowledged (without waiting); raises
        DeliveryFailed if anything failed."""
        self._producer.poll(0)
        self.raise_failures()
        return len(self._producer) == 0

    async def settle(self) -> None:
        """Wait until everything queued is acknowledged, in slices, so that a stop requested
        meanwhile ends the wait with SendInterrupted (a broker that is down never answers).

        It waits on the loop's own thread, like a service's consume (the loop has nothing else
        to run meanwhile): handing each wait to a worker thread cost two thread switches more.
        librdkafka tells this producer of failed deliveries only, so a flush sees the last
        acknowledgement only when its wait slice ends: the first slices are short, so a settle
        ends close to the acknowledgement, and they grow, so a broker that is down does not
        cost a wake-up a millisecond."""
        wait = SETTLE_FIRST
        while self._producer.flush(wait):
            self.raise_failures()
            if self._shutdown is not None and self._shutdown.is_requested:
                raise SendInterrupted(f"stopped with {len(self._producer)} messages unacknowledged")
            await asyncio.sleep(0)
            wait = min(wait * 2, SETTLE_MAX)
        self.raise_failures()

    async def flush(self, timeout: float | None = None) -> None:
        """Wait (at most `timeout` s, if given) until everything queued is acknowledged; raise
        DeliveryFailed otherwise."""
        loop = asyncio.get_running_loop()
        if timeout is None:
            remaining = await loop.run_in_executor(None, self._producer.flush)
        else:
            remaining = await loop.run_in_executor(None, self._producer.flush, timeout)
        self.raise_failures(remaining)

    def flush_blocking(self, timeout: float = 30.0) -> None:
        self.raise_failures(self._producer.flush(timeout))

    def close(self, timeout: float = 10.0) -> None:
        """Deliver what is still queued (best effort: the caller has not committed for it); what
        is left after `timeout` is dropped, or closing would wait for the broker forever."""
        if self._producer.flush(timeout):
            log.warning("dropping %d unacknowledged messages on close", len(self._producer))
            self._producer.purge()
            self._producer.poll(0)
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
