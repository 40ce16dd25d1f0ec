"""Positions recomputed from the Kafka log, compared with Redis, and restored from the log.

The decided topic holds every decision; its DONE messages give every key's position with the
position service's rule: in log order, a DONE counts when its NEW's offset (new_offset) is above
the key's done_offset, which it then becomes (a replay may have written a decision twice: it counts
once). Signed notional quantity * price (negative for SELL), signed quantity, the number of DONEs.
Messages the service would refuse (over the runtime's size limit, undecodable, invalid, without
new_offset) are skipped: the position service dead-letters them. A rebuild also needs each key's
enriched_offset, the highest new_offset in the enriched topic, so that NEWs already enriched are
never enriched again with another position.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import NamedTuple

from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaException, Message, TopicPartition

from tradefast import core
from tradefast.config import Settings
from tradefast.core_types import NO_POSITION, Position
from tradefast.errors import UnavailableError
from tradefast.infra.kafka_config import client_config
from tradefast.positions.store import PositionRow
from tradefast.proto.tradefast_pb2 import Inquiry, Status
from tradefast.reference.validation import decode, position_key
from tradefast.runtime import ServiceSpec

METADATA_TIMEOUT = 10.0
CONSUME_WAIT = 1.0
# How long the broker may leave a read without an answer before it fails (the commands' default).
PATIENCE = 30.0
# A bounded prefetch: memory stays small on a long topic, and a broker that stops answering
# mid-read is noticed while most of the topic is still to come, not after.
PREFETCH_KBYTES = 8192
# Decided messages handed to the core per `enrich` call.
REPLAY_BATCH = 10_000


class LogUnavailable(UnavailableError):
    """The broker did not answer or the topic does not exist."""


def read_topic(settings: Settings, topic: str, patience: float = PATIENCE) -> Iterator[Message]:
    """Every message of `topic` from the first offset up to the end it had when called. Raises
    LogUnavailable when the broker leaves the read `patience` seconds without a message."""
    consumer = Consumer(
        {
            **client_config(settings),
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


def _sized(settings: Settings, topic: str, patience: float) -> Iterator[Message]:
    """The messages of `topic` the services would handle at all (within the runtime's size
    limit; larger ones they dead-letter)."""
    limit = ServiceSpec.max_message_bytes
    for message in read_topic(settings, topic, patience):
        if len(message.value() or b"") + len(message.key() or b"") <= limit:
            yield message


def positions_from_log(settings: Settings, patience: float = PATIENCE) -> dict[str, Position]:
    """Every key's position recomputed from the decided topic by the core's own `enrich`, in log
    order and in batches, as the position service applies it (what it refuses counts for
    nothing); enriched_offset stays -1: see `with_enriched_offsets` for a rebuild."""
    enrich = core.load().enrich
    positions: dict[str, Position] = {}
    values: list[bytes] = []
    keys: list[bytes | None] = []

    def apply() -> None:
        done = enrich(values, keys, [-1] * len(values), positions, {}, 0)
        positions.update(done.updated)
        values.clear()
        keys.clear()

    for message in _sized(settings, settings.topics.decided, patience):
        values.append(message.value() or b"")
        keys.append(message.key())
        if len(values) == REPLAY_BATCH:
            apply()
    apply()
    return positions


def with_enriched_offsets(
    settings: Settings, positions: dict[str, Position], patience: float = PATIENCE
) -> dict[str, Position]:
    """`positions` with each key's enriched_offset raised to its done_offset and to the highest
    new_offset of the enriched topic (keys enriched but never DONE get a position of their own)."""
    result = {
        key: p._replace(enriched_offset=max(p.done_offset, p.enriched_offset))
        for key, p in positions.items()
    }
    for message in _sized(settings, settings.topics.enriched, patience):
        inquiry = decode(message.value() or b"")
        if not (
            isinstance(inquiry, Inquiry)
            and inquiry.status == Status.POSITION_ENRICHED
            and inquiry.HasField("new_offset")
            and message.key() == position_key(inquiry).encode()
        ):
            continue
        key = position_key(inquiry)
        position = result.get(key, NO_POSITION)
        if inquiry.new_offset > position.enriched_offset:
            result[key] = position._replace(enriched_offset=inquiry.new_offset)
    return result


@dataclass(frozen=True)
class Difference:
    key: str
    in_log: Applied | None
    in_redis: Applied | None

    def describe(self) -> str:
        return f"{self.key}: log {_show(self.in_log)}, redis {_show(self.in_redis)}"


class Applied(NamedTuple):
    """What the DONE inquiries of a key add up to, from the log or as stored."""

    notional: int
    quantity: int
    sequence: int
    done_offset: int

    @classmethod
    def of(cls, position: Position) -> Applied:
        return cls(position.notional, position.quantity, position.sequence, position.done_offset)


def _show(position: Applied | None) -> str:
    if position is None:
        return "absent"
    return " ".join(f"{name}={value}" for name, value in position._asdict().items())


def differences(log: dict[str, Position], rows: list[PositionRow]) -> list[Difference]:
    """Keys whose stored DONE total (notional, quantity, sequence, done_offset) differs from the
    recomputed one, sorted by key. Keys with no DONE on either side are not compared."""
    recomputed = {key: Applied.of(p) for key, p in log.items() if p.sequence}
    stored = {
        f"{r.book}|{r.instrument}": Applied.of(r.position) for r in rows if r.position.sequence
    }
    return [
        Difference(key, recomputed.get(key), stored.get(key))
        for key in sorted(set(recomputed) | set(stored))
        if recomputed.get(key) != stored.get(key)
    ]
