"""A keyed Kafka round trip and a pipelined Redis write and read, on the session's servers."""

from __future__ import annotations

import time

import redis
from confluent_kafka import Consumer, Producer
from tradefast.config import Settings
from tradefast.infra.kafka_config import consumer_config, producer_config


def test_keyed_message_round_trip(settings: Settings) -> None:
    topic = settings.topics.new
    delivered: list[int] = []
    producer = Producer(
        producer_config(
            settings, {"on_delivery": lambda err, msg: delivered.append(msg.partition())}
        )
    )
    for n in range(10):
        producer.produce(topic, key=b"BOOK1|AAPL", value=f"m{n}".encode())
    assert producer.flush(30) == 0

    consumer = Consumer(consumer_config(settings, group="round-trip"))
    consumer.subscribe([topic])
    received: list[tuple[bytes | None, bytes | None, int | None]] = []
    deadline = time.monotonic() + 60
    try:
        while len(received) < 10 and time.monotonic() < deadline:
            message = consumer.poll(0.5)
            if message is None:
                continue
            assert message.error() is None, message.error()
            received.append((message.key(), message.value(), message.partition()))
    finally:
        consumer.close()

    assert [value for _, value, _ in received] == [f"m{n}".encode() for n in range(10)]
    assert {key for key, _, _ in received} == {b"BOOK1|AAPL"}
    # One key, one partition: the order above holds because of it.
    assert len({partition for _, _, partition in received}) == 1
    assert set(delivered) == {received[0][2]}


def test_pipelined_redis_write_and_read(redis_client: redis.Redis) -> None:
    keys = [f"position:{instrument}:BOOK1" for instrument in ("AAPL", "MSFT", "GOOG")]
    write = redis_client.pipeline(transaction=True)
    for amount, key in enumerate(keys, start=1):
        write.incrby(key, amount * 100)
    write.execute()

    read = redis_client.pipeline(transaction=False)
    for key in keys:
        read.get(key)
    assert read.execute() == [b"100", b"200", b"300"]


def test_each_test_gets_its_own_topics(settings: Settings) -> None:
    assert settings.topics.prefix.startswith("t")
    assert settings.partitions == 6
