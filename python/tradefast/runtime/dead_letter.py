"""The dead-letter topic: a message that cannot be processed is kept, unchanged, with why and where
it came from in its headers, and the service moves on."""

from __future__ import annotations

import logging

from confluent_kafka import Message

from tradefast.runtime.metrics import ServiceMetrics
from tradefast.runtime.producer import BatchProducer

log = logging.getLogger(__name__)

REASON = "reason"
REASON_CODE = "reason.code"
SOURCE_TOPIC = "source.topic"
SOURCE_PARTITION = "source.partition"
SOURCE_OFFSET = "source.offset"
SERVICE = "service"
ORIGINAL_SIZE = "original.size"
# The code of a message over the service's input limit, dropped before its handler sees it (the
# codes of the cores' reasons are in tradefast/reference/errors.py).
TOO_LARGE = "too_large"
# A dead letter keeps at most this much of the key and of the value (the original size in a
# header), so it fits Kafka's message size limit whatever arrived.
MAX_KEPT = 64 * 1024


class DeadLetters:
    def __init__(self, producer: BatchProducer, topic: str, metrics: ServiceMetrics) -> None:
        self._producer = producer
        self._topic = topic
        self._metrics = metrics

    async def send(self, message: Message, code: str, reason: str) -> None:
        """Publish `message` (same key and value) to the dead-letter topic, with the stable
        `code` of why and the `reason` in words."""
        headers: list[tuple[str, str | bytes | None]] = [
            (REASON, reason),
            (REASON_CODE, code),
            (SOURCE_TOPIC, message.topic() or ""),
            (SOURCE_PARTITION, str(message.partition())),
            (SOURCE_OFFSET, str(message.offset())),
            (SERVICE, self._metrics.service),
        ]
        key, value = message.key(), message.value() or b""
        if len(value) > MAX_KEPT or (key is not None and len(key) > MAX_KEPT):
            size = len(value) + len(key or b"")
            headers.append((ORIGINAL_SIZE, str(size)))
            key, value = None if key is None else key[:MAX_KEPT], value[:MAX_KEPT]
        await self._producer.send(self._topic, key, value, headers)
        self._metrics.dead_letters.inc()
        log.warning(
            "dead-lettered %s[%s]@%s: %s (%s)",
            message.topic(),
            message.partition(),
            message.offset(),
            reason,
            code,
        )
