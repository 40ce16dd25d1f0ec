"""The position service alone, on real topics and Redis: enrichment from Redis, DONE applied once
(a replayed DONE is fenced out), malformed input dead-lettered without stopping the service."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

import pytest
import redis
from service_io import (
    CORES,
    WAIT,
    decoded,
    inquiry,
    publish,
    publish_inquiries,
    reader,
    running,
)
from tradefast.config import Settings
from tradefast.positions.store import PositionStore
from tradefast.proto.tradefast_pb2 import Side, Status
from tradefast.runtime import dead_letter
from tradefast.runtime.service import serve
from tradefast.runtime.shutdown import Shutdown
from tradefast.services.position import position_spec

FIELDS = (b"notional", b"quantity", b"sequence", b"done_offset", b"enriched_offset")


def position_service(settings: Settings, core_name: str) -> Callable[[Shutdown], Awaitable[None]]:
    async def main(shutdown: Shutdown) -> None:
        store = PositionStore.from_url(settings.redis_url, fenced_topic=settings.topics.new)
        await serve(position_spec(settings, store, core_name=core_name), settings, shutdown)

    return main


def wait_for_field(client: redis.Redis, key: str, field: str, value: int) -> None:
    deadline = time.monotonic() + WAIT
    while client.hget(key, field) != str(value).encode():
        assert time.monotonic() < deadline, f"{key} {field} never reached {value}"
        time.sleep(0.05)


@pytest.mark.parametrize("core_name", CORES)
def test_enriches_from_applied_dones_and_fences_replays(
    settings: Settings, redis_client: redis.Redis, core_name: str
) -> None:
    key = "position:{BOOK1}:AAPL"
    service = position_service(settings, core_name)
    with running(service), reader(settings, settings.topics.enriched) as out:
        publish_inquiries(settings, settings.topics.new, [inquiry(101)])
        first = decoded(out.read(1))[0]
        # The decisions carry their NEW's offset, as the trader copies it from the enriched one.
        done_1 = inquiry(101, Status.DONE, quantity=100, price=200, version=3)
        done_1.new_offset = first.new_offset
        publish_inquiries(settings, settings.topics.done, [done_1])
        wait_for_field(redis_client, key, "done_offset", first.new_offset)
        publish_inquiries(settings, settings.topics.new, [inquiry(102)])
        second = decoded(out.read(2))[1]
        done_2 = inquiry(102, Status.DONE, quantity=300, price=50, side=Side.SELL, version=3)
        done_2.new_offset = second.new_offset
        # done_1 again (a replay) must change nothing; done_2 applies.
        publish_inquiries(settings, settings.topics.done, [done_1, done_2])
        wait_for_field(redis_client, key, "done_offset", second.new_offset)
        publish_inquiries(settings, settings.topics.new, [inquiry(103)])
        third = decoded(out.read(3))[2]

    assert (first.inquiry_id, first.position, first.sequence) == (101, 0, 0)
    assert first.status == Status.POSITION_ENRICHED and first.version == 2
    assert first.enriched_ns > 0
    assert (first.new_offset, second.new_offset, third.new_offset) == (0, 1, 2)
    assert (second.inquiry_id, second.position, second.position_quantity, second.sequence) == (
        102,
        20_000,
        100,
        1,
    )
    assert (third.position, third.position_quantity, third.sequence) == (20_000 - 15_000, -200, 2)
    stored = redis_client.hgetall(key)
    assert stored[b"fenced_topic"] == settings.topics.new.encode()
    assert {field: stored[field] for field in FIELDS} == {
        b"notional": b"5000",
        b"quantity": b"-200",
        b"sequence": b"2",
        b"done_offset": b"1",
        b"enriched_offset": b"2",
    }
    assert [m.key() for m in out.messages] == [b"BOOK1|AAPL"] * 3


@pytest.mark.parametrize("core_name", CORES)
def test_malformed_goes_to_dead_letters_and_the_next_is_processed(
    settings: Settings, core_name: str
) -> None:
    garbage = b"\xff\xff\xff not protobuf"
    with (
        running(position_service(settings, core_name)),
        reader(settings, settings.topics.enriched) as out,
        reader(settings, settings.topics.dead_letter) as dlq,
    ):
        publish(settings, settings.topics.new, [(b"BOOK1|AAPL", garbage)])
        publish_inquiries(settings, settings.topics.new, [inquiry(7)])
        dead = dlq.read(1)[0]
        enriched = decoded(out.read(1))[0]

    headers = dict(dead.headers() or [])
    assert headers[dead_letter.REASON] == b"malformed protobuf"
    assert headers[dead_letter.REASON_CODE] == b"malformed"
    assert headers[dead_letter.SOURCE_TOPIC] == settings.topics.new.encode()
    assert headers[dead_letter.SERVICE] == b"position"
    partition = int(headers[dead_letter.SOURCE_PARTITION] or b"-1")
    assert 0 <= partition < settings.partitions
    assert int(headers[dead_letter.SOURCE_OFFSET] or b"-1") == 0
    assert dead.value() == garbage and dead.key() == b"BOOK1|AAPL"
    assert enriched.inquiry_id == 7 and enriched.status == Status.POSITION_ENRICHED


@pytest.mark.parametrize("core_name", CORES)
def test_invalid_inquiry_is_dead_lettered_with_its_reason(
    settings: Settings, core_name: str
) -> None:
    service = position_service(settings, core_name)
    with running(service), reader(settings, settings.topics.dead_letter) as dlq:
        publish_inquiries(settings, settings.topics.new, [inquiry(8, quantity=-100)])
        dead = dlq.read(1)[0]
    assert dict(dead.headers() or [])[dead_letter.REASON] == b"quantity must be positive"
