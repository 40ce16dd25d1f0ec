"""Positions recomputed from the Kafka log, compared with Redis, and restored from the log.

The decided topic holds every decision; its DONE messages, each inquiry id counted once (a replay
may have written a decision twice), give every key's position with the core's semantics: signed
notional quantity * price (negative for SELL), signed quantity, the number of DONEs and the
highest DONE id as the fence. Messages the service would reject (over the runtime's size limit,
or refused by the core) are skipped: the position service dead-letters them.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaException, Message, TopicPartition

from tradefast.config import Settings
from tradefast.positions.store import Position, PositionRow
from tradefast.proto.tradefast_pb2 import Inquiry, Status
from tradefast.reference.validation import decode, position_key, signed_notional, signed_quantity
from tradefast.runtime import ServiceSpec

METADATA_TIMEOUT = 10.0
CONSUME_WAIT = 1.0
# How long the broker may leave a read without an answer before it fails (the commands' default).
PATIENCE = 30.0
# A bounded prefetch: memory stays small on a long topic, and a broker that stops answering
# mid-read is noticed while most of the topic is still to come, not after.
PREFETCH_KBYTES = 8192


class LogUnavailable(RuntimeError):
    """The broker did not answer or the topic does not exist."""


def read_topic(settings: Settings, topic: str, patience: float = PATIENCE) -> Iterator[Message]:
    """Every message of `topic` from the first offset up to the end it had when called. Raises
    LogUnavailable when the broker leaves the read `patience` seconds without a message."""
    consumer = Consumer(
        {
            "bootstrap.servers": settings.kafka_bootstrap,
            "group.id": f"tradefast-audit-{uuid.uuid4().hex}",
            "enable.auto.commit": False,
            "enable.partition.eof": False,
            "queued.max.messages.kbytes": PREFETCH_KBYTES,
            "log_level": 0,
        }
    )
    try:
        ends = _ends(consumer, topic, settings.kafka_bootstrap, patience)
        consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in ends])
        partitions, read, answered = len(ends), 0, time.monotonic()
        while ends:
            silent = time.monotonic() - answered
            if silent > patience:
                raise LogUnavailable(
                    f"Kafka at {settings.kafka_bootstrap} stopped answering while reading "
                    f"{topic}: nothing for {silent:.0f} s after {read} messages, "
                    f"{len(ends)} of {partitions} partitions not read to their end"
                )
            messages = consumer.consume(10_000, min(CONSUME_WAIT, patience - silent))
            if messages:
                answered = time.monotonic()
            for message in messages:
                error = message.error()
                if error is not None:
                    if error.fatal():
                        raise LogUnavailable(f"reading {topic} failed: {error}")
                    continue
                partition, offset = message.partition(), message.offset()
                if partition not in ends or offset is None or offset >= ends[partition]:
                    continue
                read += 1
                yield message
                if offset + 1 >= ends[partition]:
                    del ends[partition]
    finally:
        consumer.close()


def _ends(consumer: Consumer, topic: str, bootstrap: str, patience: float) -> dict[int, int]:
    """The high watermark of every non-empty partition of `topic`, all within `patience` s."""
    deadline = time.monotonic() + patience

    def timeout() -> float:
        return max(0.001, min(METADATA_TIMEOUT, deadline - time.monotonic()))

    try:
        metadata = consumer.list_topics(topic, timeout=timeout())
        described = metadata.topics.get(topic)
        if described is None or described.error is not None:
            raise LogUnavailable(f"topic {topic} does not exist")
        ends = {}
        for partition in described.partitions:
            low, high = consumer.get_watermark_offsets(
                TopicPartition(topic, partition), timeout=timeout()
            )
            if high > low:
                ends[partition] = high
        return ends
    except KafkaException as exc:
        raise LogUnavailable(f"Kafka at {bootstrap} did not answer: {exc}") from None


def positions_from_log(settings: Settings, patience: float = PATIENCE) -> dict[str, Position]:
    """Every key's position recomputed from the DONE messages of the decided topic."""
    seen: set[int] = set()
    positions: dict[str, Position] = {}
    limit = ServiceSpec.max_message_bytes
    for message in read_topic(settings, settings.topics.decided, patience):
        value = message.value() or b""
        if len(value) + len(message.key() or b"") > limit:
            continue
        inquiry = decode(value)
        if not isinstance(inquiry, Inquiry) or inquiry.status != Status.DONE:
            continue
        if inquiry.inquiry_id in seen:
            continue
        seen.add(inquiry.inquiry_id)
        key = position_key(inquiry)
        notional, quantity, sequence, last_done_id = positions.get(key, (0, 0, 0, 0))
        positions[key] = (
            notional + signed_notional(inquiry),
            quantity + signed_quantity(inquiry),
            sequence + 1,
            max(last_done_id, inquiry.inquiry_id),
        )
    return positions


@dataclass(frozen=True)
class Difference:
    key: str
    in_log: Position | None
    in_redis: Position | None

    def describe(self) -> str:
        return f"{self.key}: log {_show(self.in_log)}, redis {_show(self.in_redis)}"


def _show(position: Position | None) -> str:
    if position is None:
        return "absent"
    notional, quantity, sequence, last_done_id = position
    return (
        f"notional={notional} quantity={quantity} sequence={sequence} last_done_id={last_done_id}"
    )


def differences(log: dict[str, Position], rows: list[PositionRow]) -> list[Difference]:
    """Keys whose stored position differs from the recomputed one, sorted by key."""
    stored: dict[str, Position] = {
        f"{r.book}|{r.instrument}": (r.notional, r.quantity, r.sequence, r.last_done_id)
        for r in rows
    }
    return [
        Difference(key, log.get(key), stored.get(key))
        for key in sorted(set(log) | set(stored))
        if log.get(key) != stored.get(key)
    ]
