"""`tradefast bench hop`: the latency floor of this machine, one Kafka hop and one Redis call.

One message at a time is produced and consumed in one process, twice: with the services' client
settings (what a single pipeline stage adds at best), and with librdkafka's lowest-latency
settings (no linger: the floor of Kafka itself on this machine). The Redis figure is one GET
round trip. Both need running servers (`tradefast infra up`).
"""

from __future__ import annotations

import argparse
import json
import struct
import time
from pathlib import Path

from confluent_kafka import Consumer, KafkaException, Producer, TopicPartition
from hdrh.histogram import HdrHistogram

from tradefast import config
from tradefast.bench.stats import new_histogram, summary_us
from tradefast.config import Settings
from tradefast.infra.errors import InfraError
from tradefast.infra.kafka_config import client_config, consumer_config, producer_config
from tradefast.infra.netcheck import kafka_answers, redis_answers
from tradefast.infra.redis_clients import sync_client
from tradefast.infra.topics import create_missing_topics

STAMP = struct.Struct(">QQ")  # sequence number, send time (perf_counter_ns)
RECEIVE_TIMEOUT_S = 10.0
# librdkafka's lowest-latency settings: (producer, consumer) overrides of the services' settings.
LOWEST_LATENCY: tuple[dict[str, object], dict[str, object]] = (
    {"linger.ms": 0},
    {"fetch.min.bytes": 1},
)


def register(actions: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    hop = actions.add_parser(
        "hop", help="latency of one Kafka produce-to-consume hop and one Redis round trip"
    )
    hop.add_argument("--count", type=_positive, default=5000, help="samples (default 5000)")
    hop.add_argument(
        "--warmup", type=_non_negative, default=500, help="unrecorded samples first (default 500)"
    )
    hop.add_argument("--json", type=Path, metavar="FILE", help="also write the figures here")
    hop.set_defaults(func=_run)


def measure_floor(settings: Settings, count: int, warmup: int) -> dict[str, dict[str, float]]:
    """One Kafka hop with the services' settings and at linger 0, one Redis round trip."""
    return {
        "kafka_hop": summary_us(measure_kafka_hop(settings, count, warmup)),
        "kafka_hop_linger0": summary_us(
            measure_kafka_hop(settings, count, warmup, lowest_latency=True)
        ),
        "redis_round_trip": summary_us(measure_redis_round_trip(settings, count, warmup)),
    }


def measure_kafka_hop(
    settings: Settings, count: int, warmup: int, lowest_latency: bool = False
) -> HdrHistogram:
    """Produce one message, wait until the consumer has it, repeat; record each gap. With
    `lowest_latency`, the producer sends at once (linger 0) and the broker answers a fetch as
    soon as one byte is there, whatever the services' settings are."""
    topic = f"{settings.topics.prefix}bench.hop"
    create_missing_topics(
        client_config(settings),
        [topic],
        partitions=1,
        replication=settings.kafka_replication,
        min_insync=settings.kafka_min_insync,
    )
    producer_overrides, consumer_overrides = LOWEST_LATENCY if lowest_latency else ({}, {})
    producer = Producer(producer_config(settings, producer_overrides))
    consumer = Consumer(
        consumer_config(settings, group="tradefast-bench-hop", overrides=consumer_overrides)
    )
    try:
        # Start exactly at the current end, so every message we produce is the next one read.
        consumer.assign([TopicPartition(topic, 0, _end_offset(consumer, topic))])
        histogram = new_histogram()
        for sequence in range(warmup + count):
            producer.produce(topic, key=b"hop", value=STAMP.pack(sequence, time.perf_counter_ns()))
            producer.poll(0)
            latency = _receive(consumer, sequence)
            if sequence >= warmup:
                histogram.record_value(latency)
        producer.flush(10)
        return histogram
    finally:
        consumer.close()


def measure_redis_round_trip(settings: Settings, count: int, warmup: int) -> HdrHistogram:
    client = sync_client(settings.redis_url)
    try:
        client.set("bench:hop", b"x")
        histogram = new_histogram()
        for sample in range(warmup + count):
            start = time.perf_counter_ns()
            client.get("bench:hop")
            elapsed = time.perf_counter_ns() - start
            if sample >= warmup:
                histogram.record_value(elapsed)
        client.delete("bench:hop")
        return histogram
    finally:
        client.close()


def _end_offset(consumer: Consumer, topic: str) -> int:
    """The high watermark of partition 0, once the broker knows a freshly created topic."""
    deadline = time.monotonic() + RECEIVE_TIMEOUT_S
    while True:
        try:
            _low, high = consumer.get_watermark_offsets(TopicPartition(topic, 0), timeout=5)
            return int(high)
        except KafkaException as exc:
            if time.monotonic() > deadline:
                raise InfraError(f"no offsets for {topic}: {exc}") from None
            time.sleep(0.1)


def _receive(consumer: Consumer, sequence: int) -> int:
    deadline = time.monotonic() + RECEIVE_TIMEOUT_S
    while time.monotonic() < deadline:
        message = consumer.poll(0.1)
        if message is None:
            continue
        if message.error():
            raise InfraError(f"consuming the bench topic failed: {message.error()}")
        payload = message.value()
        if payload is None or len(payload) != STAMP.size:
            continue  # not one of ours
        received, sent_ns = STAMP.unpack(payload)
        if received == sequence:
            return int(time.perf_counter_ns() - sent_ns)
    raise InfraError(f"message {sequence} did not come back within {RECEIVE_TIMEOUT_S:.0f} s")


def _run(args: argparse.Namespace) -> int:
    settings = config.load()
    if not kafka_answers(settings.kafka_bootstrap, timeout=5.0):
        raise InfraError(
            f"no Kafka answers at {settings.kafka_bootstrap}: run `tradefast infra up`"
        )
    if not redis_answers(settings.redis_url):
        raise InfraError(f"no Redis answers at {settings.redis_url}: run `tradefast infra up`")
    report = measure_floor(settings, args.count, args.warmup)
    for name, figures in report.items():
        print(
            f"{name:<17} n={figures['count']:<6} p50 {figures['p50_us']:>8.1f} µs  "
            f"p99 {figures['p99_us']:>8.1f} µs  p99.9 {figures['p99_9_us']:>8.1f} µs  "
            f"max {figures['max_us']:>8.1f} µs"
        )
    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=2) + "\n")
    return 0


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text} is not a positive whole number")
    return value


def _non_negative(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text} is not a whole number >= 0")
    return value
