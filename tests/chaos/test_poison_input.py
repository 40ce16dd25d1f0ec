"""Poison input: over 20,000 malformed values on the services' input topics, valid traffic in
between. Each bad value lands in the dead-letter topic with the reason the specification gives,
the valid inquiries are all decided and the positions match the log; no service crashes or stalls
(the gateway, which reads the same topics, included)."""

from __future__ import annotations

import asyncio
from collections import Counter
from pathlib import Path

import pytest
import redis
from chaos_harness import services, wait_until
from chaos_ws import health_ok, snapshot_positions
from confluent_kafka import Message, Producer
from fuzz_payloads import malformed, valid
from tradefast.config import Settings
from tradefast.infra.kafka_config import producer_config
from tradefast.positions import audit
from tradefast.positions.audit import read_topic
from tradefast.positions.store import PositionRow, PositionStore
from tradefast.proto.tradefast_pb2 import Inquiry, Status
from tradefast.reference.errors import UNCLASSIFIED_CODE
from tradefast.reference.validation import decode
from tradefast.runtime import Rejection, dead_letter

pytestmark = pytest.mark.chaos

BAD_NEW, BAD_DONE, BAD_ENRICHED = 10_000, 2_000, 10_000
# One valid message after every VALID_EVERY bad ones.
VALID_EVERY = 100


def key_of(inquiry: Inquiry) -> bytes:
    return f"{inquiry.book_id}|{inquiry.instrument_id}".encode()


def enriched(inquiry_id: int, new_offset: int) -> Inquiry:
    inquiry = valid(inquiry_id, Status.POSITION_ENRICHED, version=2, book="BOOK9")
    inquiry.new_offset = new_offset
    return inquiry


def publish_mixed(
    settings: Settings,
    topic: str,
    bad: list[tuple[str, bytes, bytes | None, Rejection]],
    good: list[Inquiry],
) -> None:
    producer = Producer(producer_config(settings, {"linger.ms": 5}))
    good_left = list(good)
    for index, (_, value, key, _) in enumerate(bad):
        producer.produce(topic, value, key)
        if index % VALID_EVERY == VALID_EVERY - 1 and good_left:
            inquiry = good_left.pop(0)
            producer.produce(topic, inquiry.SerializeToString(), key_of(inquiry))
        producer.poll(0)
    for inquiry in good_left:
        producer.produce(topic, inquiry.SerializeToString(), key_of(inquiry))
    assert producer.flush(60) == 0


async def stored_rows(url: str) -> list[PositionRow]:
    store = PositionStore.from_url(url)
    try:
        return await store.all_positions()
    finally:
        await store.close()


def headers_of(message: Message) -> dict[str, str]:
    pairs = message.headers() or []
    assert isinstance(pairs, list)
    return {name: value.decode() if isinstance(value, bytes) else "" for name, value in pairs}


def valid_decisions(settings: Settings) -> list[Inquiry]:
    """The decodable, valid inquiries of the decided topic (the fuzz put garbage there too)."""
    return [
        inquiry
        for message in read_topic(settings, settings.topics.decided)
        if isinstance(inquiry := decode(message.value() or b""), Inquiry)
    ]


def test_malformed_values_are_dead_lettered_and_valid_ones_flow(
    settings: Settings, redis_client: redis.Redis, tmp_path: Path
) -> None:
    topics = settings.topics
    bad = {
        topics.new: malformed("enrich", Status.NEW, BAD_NEW, seed=1),
        topics.done: malformed("enrich", Status.DONE, BAD_DONE, seed=2),
        topics.enriched: malformed("decide", Status.POSITION_ENRICHED, BAD_ENRICHED, seed=3),
    }
    new_ids = list(range(1_000_001, 1_000_001 + BAD_NEW // VALID_EVERY))
    enriched_ids = list(range(2_000_001, 2_000_001 + BAD_ENRICHED // VALID_EVERY))
    good: dict[str, list[Inquiry]] = {
        topics.new: [valid(i, Status.NEW) for i in new_ids],
        topics.done: [],
        # Another book; each with the offset of its (imagined) NEW, as the position service
        # stamps it, so that their DONEs are counted.
        topics.enriched: [enriched(i, new_offset) for new_offset, i in enumerate(enriched_ids)],
    }
    total_bad = sum(len(values) for values in bad.values())
    with services(settings, tmp_path) as make:
        running = [make("position").start(), make("trader").start(), make("gateway").start()]
        wait_until(lambda: health_ok(settings), "gateway ready")
        for topic in bad:
            publish_mixed(settings, topic, bad[topic], good[topic])
        wait_until(
            lambda: sum(1 for _ in read_topic(settings, topics.dead_letter)) >= total_bad,
            f"{total_bad} dead letters",
        )
        wanted = set(new_ids) | set(enriched_ids)
        wait_until(
            lambda: wanted <= {i.inquiry_id for i in valid_decisions(settings)},
            "every valid inquiry decided",
        )
        for process in running:
            assert process.alive, process.tail()
        assert health_ok(settings)
        snapshot = asyncio.run(snapshot_positions(settings.gateway_url))

    expected = {
        topic: {value[: dead_letter.MAX_KEPT]: rejected for _, value, _, rejected in values}
        for topic, values in bad.items()
    }
    sources: Counter[str] = Counter()
    reasons: Counter[str] = Counter()
    for message in read_topic(settings, topics.dead_letter):
        headers = headers_of(message)
        source = headers[dead_letter.SOURCE_TOPIC]
        reason, code = headers[dead_letter.REASON], headers[dead_letter.REASON_CODE]
        rejected = expected[source][message.value() or b""]
        assert (rejected.reason, rejected.code) == (reason, code), source
        assert code != UNCLASSIFIED_CODE, reason
        sources[source] += 1
        reasons[reason] += 1
    assert sources == {topic: len(values) for topic, values in bad.items()}

    decided = valid_decisions(settings)
    assert {i.status for i in decided if i.inquiry_id in wanted} <= {Status.DONE, Status.NOT_DONE}
    log = audit.positions_from_log(settings)
    rows = asyncio.run(stored_rows(settings.redis_url))
    differences = audit.differences(log, rows)
    assert differences == [], [d.describe() for d in differences]
    assert snapshot == {key: position[:3] for key, position in log.items()}
    kinds = Counter(kind for values in bad.values() for kind, _, _, _ in values)
    print(
        f"[poison] {total_bad} malformed values ({dict(kinds)}) on new/done/enriched: all "
        f"dead-lettered with the expected reason ({len(reasons)} distinct reasons); "
        f"{len(wanted)} valid inquiries in between all decided; positions match the log; "
        "position, trader and gateway alive and serving"
    )
