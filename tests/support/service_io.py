"""Test-side Kafka access: publish crafted inquiries, read a topic from the beginning, and run
services in-process on their own uvloop thread."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager

import uvloop
from confluent_kafka import Consumer, Message, Producer, TopicPartition
from tradefast.config import Settings
from tradefast.infra.kafka_config import consumer_config, producer_config
from tradefast.proto.tradefast_pb2 import Inquiry, Side, Status
from tradefast.runtime.shutdown import Shutdown

# Waits are bounded so a broken pipeline fails the test instead of hanging it.
WAIT = 60.0
# The services' hot path: the Rust core (what they run by default) and the Python reference
# (the specification), for tests parametrized over both.
CORES = ("rust", "reference")


def inquiry(
    inquiry_id: int,
    status: Status.ValueType = Status.NEW,
    book: str = "BOOK1",
    instrument: str = "AAPL",
    quantity: int = 100,
    price: int = 200,
    side: Side.ValueType = Side.BUY,
    version: int = 1,
    position: int = 0,
) -> Inquiry:
    return Inquiry(
        inquiry_id=inquiry_id,
        book_id=book,
        instrument_id=instrument,
        quantity=quantity,
        price=price,
        side=side,
        status=status,
        version=version,
        position=position,
        counterparty="cpt1",
        event_time=1,
        created_ns=1,
    )


def key_of(message: Inquiry) -> bytes:
    return f"{message.book_id}|{message.instrument_id}".encode()


def publish(settings: Settings, topic: str, messages: list[tuple[bytes | None, bytes]]) -> None:
    producer = Producer(producer_config(settings))
    for key, value in messages:
        producer.produce(topic, value, key)
    assert producer.flush(WAIT) == 0


def publish_inquiries(settings: Settings, topic: str, inquiries: list[Inquiry]) -> None:
    publish(settings, topic, [(key_of(i), i.SerializeToString()) for i in inquiries])


class TopicReader:
    """Reads every partition of a topic from the start, without a consumer group."""

    def __init__(self, settings: Settings, topic: str) -> None:
        self._consumer = Consumer(consumer_config(settings, f"reader-{topic}"))
        self._consumer.assign(
            [TopicPartition(topic, p, 0) for p in range(settings.partitions)]  # 0: first offset
        )
        self.messages: list[Message] = []

    def read(self, count: int, wait: float = WAIT) -> list[Message]:
        """All messages so far once there are at least `count` (fails after `wait` seconds)."""
        deadline = time.monotonic() + wait
        while len(self.messages) < count:
            assert time.monotonic() < deadline, f"{len(self.messages)} of {count} messages"
            for message in self._consumer.consume(10_000, 0.2):
                assert message.error() is None, message.error()
                self.messages.append(message)
        return self.messages

    def close(self) -> None:
        self._consumer.close()


@contextmanager
def reader(settings: Settings, topic: str) -> Iterator[TopicReader]:
    topic_reader = TopicReader(settings, topic)
    try:
        yield topic_reader
    finally:
        topic_reader.close()


@contextmanager
def service_process(command: list[str], env: dict[str, str]) -> Iterator[subprocess.Popen[str]]:
    """A service process with its stderr captured; killed if the test leaves it running."""
    service = subprocess.Popen(command, env=env, stderr=subprocess.PIPE, text=True)
    try:
        yield service
    finally:
        if service.poll() is None:
            service.kill()
            service.wait(10)


def stop_service(service: subprocess.Popen[str]) -> str:
    """SIGTERM, as a supervisor stops it; its stderr once it has exited."""
    service.send_signal(signal.SIGTERM)
    return service.communicate(timeout=WAIT)[1]


def decoded(messages: list[Message]) -> list[Inquiry]:
    result = []
    for message in messages:
        parsed = Inquiry()
        parsed.ParseFromString(message.value() or b"")
        result.append(parsed)
    return result


@contextmanager
def running(*mains: Callable[[Shutdown], Awaitable[None]]) -> Iterator[Shutdown]:
    """Run `mains` together on a uvloop in a background thread; on exit request a stop, wait
    for them to finish, and re-raise what any of them raised."""
    shutdown = Shutdown()
    loop = uvloop.new_event_loop()
    failures: list[BaseException] = []

    async def all_of() -> None:
        results = await asyncio.gather(*(main(shutdown) for main in mains), return_exceptions=True)
        failures.extend(r for r in results if isinstance(r, BaseException))

    thread = threading.Thread(target=loop.run_until_complete, args=(all_of(),), daemon=True)
    thread.start()
    try:
        yield shutdown
    finally:
        loop.call_soon_threadsafe(shutdown.request, "test done")
        thread.join(WAIT)
        assert not thread.is_alive(), "services did not stop"
        loop.close()
    if failures:
        raise failures[0]
