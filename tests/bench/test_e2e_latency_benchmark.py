"""Benchmark group `e2e` of `pytest --benchmark-only`: the latency of one inquiry through the real
pipeline, beside the core groups. One inquiry at a time is published to inquiries.new, as the
generator does, and timed until its final update (DONE / NOT_DONE) reaches a WebSocket client of
the gateway; the position service, auto trader and gateway run as processes on the session's
Kafka and Redis, warmed up first. The timing is pytest-benchmark's (pedantic mode, 200 rounds);
its extra_info adds p90 and p99.

Under --benchmark-disable (`make test`) pytest-benchmark runs the target once: the test then
sends a few inquiries, checks each, and stays quick.
"""

from __future__ import annotations

import asyncio
import queue
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import uvloop
from confluent_kafka import Producer
from conftest import Infra, settings_for
from picows import WSFrame, WSListener, WSMsgType, WSTransport, ws_connect
from tradefast.config import Settings
from tradefast.gateway.access import BATCH_PROTOCOL
from tradefast.infra.kafka_config import producer_config
from tradefast.infra.topics import ensure_topics
from tradefast.integration.pipeline import Pipeline, feed_url
from tradefast.proto.tradefast_pb2 import Inquiry, InquiryBatch, Side, Status

ROUNDS, WARMUP_ROUNDS = 200, 20
# Inquiries sent and checked before the benchmark: they warm the services and their clients.
WARM_INQUIRIES, WARM_INQUIRIES_DISABLED = 100, 3
FINAL_WAIT = 10.0
CONNECT_WAIT = 10.0


class FinalUpdates(WSListener):
    """Hands every final update it receives to the test thread."""

    def __init__(self) -> None:
        super().__init__()
        self.finals: queue.SimpleQueue[Inquiry] = queue.SimpleQueue()

    def on_ws_frame(self, transport: WSTransport, frame: WSFrame) -> None:
        if frame.msg_type == WSMsgType.CLOSE:
            transport.disconnect()
            return
        if frame.msg_type != WSMsgType.BINARY:
            return
        for inquiry in InquiryBatch.FromString(frame.get_payload_as_bytes()).inquiries:
            if inquiry.status in (Status.DONE, Status.NOT_DONE):
                self.finals.put(inquiry)


class Feed:
    """A WebSocket client of the gateway on a uvloop of its own thread, so that it reads frames
    while the test thread waits."""

    def __init__(self, url: str) -> None:
        self._loop = uvloop.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()
        connecting = asyncio.run_coroutine_threadsafe(
            ws_connect(FinalUpdates, url, extra_headers={"Sec-WebSocket-Protocol": BATCH_PROTOCOL}),
            self._loop,
        )
        self._transport, listener = connecting.result(CONNECT_WAIT)
        assert isinstance(listener, FinalUpdates)
        self.listener = listener

    def final_update(self, inquiry_id: int) -> Inquiry:
        """Wait for the final update of `inquiry_id` (older ones that arrive late are skipped)."""
        deadline = time.monotonic() + FINAL_WAIT
        while True:
            inquiry = self.listener.finals.get(timeout=max(0.0, deadline - time.monotonic()))
            if inquiry.inquiry_id == inquiry_id:
                return inquiry

    def close(self) -> None:
        self._loop.call_soon_threadsafe(self._transport.disconnect)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(CONNECT_WAIT)


@dataclass
class WarmPipeline:
    settings: Settings
    producer: Producer
    feed: Feed
    book: str
    next_id: int = 1

    def new_inquiry(self) -> tuple[tuple[int, bytes, bytes], dict[str, Any]]:
        """pedantic's setup: the next inquiry, built outside the timed part."""
        inquiry_id, self.next_id = self.next_id, self.next_id + 1
        now = time.time_ns()
        inquiry = Inquiry(
            inquiry_id=inquiry_id,
            book_id=self.book,
            instrument_id="AAPL",
            quantity=100,
            price=10_000,
            side=Side.BUY,
            event_time=now // 1_000_000,
            counterparty="cpt1",
            status=Status.NEW,
            version=1,
            created_ns=now,
        )
        key = f"{self.book}|AAPL".encode()
        return (inquiry_id, key, inquiry.SerializeToString()), {}

    def send_and_wait(self, inquiry_id: int, key: bytes, value: bytes) -> Inquiry:
        """The timed part: publish one inquiry and wait until its final update is at the client."""
        self.producer.produce(self.settings.topics.new, value, key)
        self.producer.poll(0)
        return self.feed.final_update(inquiry_id)

    def one(self) -> Inquiry:
        args, _ = self.new_inquiry()
        return self.send_and_wait(*args)


@pytest.fixture(scope="module")
def warm_pipeline(infra: Infra, tmp_path_factory: pytest.TempPathFactory) -> Iterator[WarmPipeline]:
    home = tmp_path_factory.mktemp("e2e-benchmark")
    settings = settings_for(infra, home, prefix=f"t{uuid.uuid4().hex[:12]}.")
    ensure_topics(settings)
    pipeline = Pipeline(settings, home / "logs")
    pipeline.start()
    producer = Producer(producer_config(settings))
    feed: Feed | None = None
    try:
        feed = Feed(feed_url(settings))
        book = f"E2E{uuid.uuid4().hex[:6].upper()}"
        yield WarmPipeline(settings, producer, feed, book, next_id=time.time_ns() // 1000)
    finally:
        if feed is not None:
            feed.close()
        producer.flush(5)
        pipeline.stop()


def _percentile(sorted_seconds: list[float], p: float) -> float:
    index = min(len(sorted_seconds) - 1, round(p / 100 * (len(sorted_seconds) - 1)))
    return round(sorted_seconds[index] * 1000, 3)


@pytest.mark.timeout(300)
@pytest.mark.benchmark(group="e2e", disable_gc=True)
def test_e2e_inquiry_latency(benchmark: Any, warm_pipeline: WarmPipeline) -> None:
    warm = WARM_INQUIRIES_DISABLED if benchmark.disabled else WARM_INQUIRIES
    for _ in range(warm):
        final = warm_pipeline.one()
        assert final.version == 3 and final.enriched_ns >= final.created_ns

    final = benchmark.pedantic(
        warm_pipeline.send_and_wait,
        setup=warm_pipeline.new_inquiry,
        rounds=ROUNDS,
        warmup_rounds=WARMUP_ROUNDS,
    )

    assert final.status in (Status.DONE, Status.NOT_DONE)
    assert final.inquiry_id == warm_pipeline.next_id - 1
    assert final.created_ns <= final.enriched_ns <= final.decided_ns
    if benchmark.stats is not None:
        rounds = sorted(benchmark.stats.stats.data)
        assert len(rounds) == ROUNDS and rounds[0] > 0
        benchmark.extra_info.update(
            {f"p{p:g}_ms": _percentile(rounds, p) for p in (50.0, 90.0, 99.0)}
        )
