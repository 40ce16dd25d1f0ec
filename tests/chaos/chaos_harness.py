"""Fault-injection helpers: services as real processes (so `kill -9` is real), progress read from
the topics, and the verdict after a fault, recomputed independently from the Kafka log."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import redis
from confluent_kafka import Consumer, KafkaException, TopicPartition
from tradefast.config import Settings
from tradefast.infra.redis_clients import SyncClient
from tradefast.positions.audit import read_topic
from tradefast.positions.store import FIELDS, PREFIX, redis_key
from tradefast.proto.tradefast_pb2 import Inquiry, Side, Status

# Waits are bounded so a broken pipeline fails the test instead of hanging it.
WAIT = 180.0
FINAL = (Status.DONE, Status.NOT_DONE)
ABSORBED = re.compile(r"absorbed (\d+) replayed inputs")
# Services without a metrics endpoint: several run at once and tests need no scrape.
NO_METRICS = {
    "TRADEFAST_GENERATOR_METRICS_PORT": "0",
    "TRADEFAST_POSITION_METRICS_PORT": "0",
    "TRADEFAST_TRADER_METRICS_PORT": "0",
    "TRADEFAST_GATEWAY_METRICS_PORT": "0",
}


def wait_until(condition: Callable[[], bool], what: str, wait: float = WAIT) -> None:
    deadline = time.monotonic() + wait
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)


class ServiceProcess:
    """`tradefast service <name> [args]` as a child process with its output in a log file."""

    def __init__(self, name: str, env: Mapping[str, str], log_dir: Path, *args: str) -> None:
        self.name = name
        self._env = dict(env)
        self._args = args
        self.log = log_dir / f"{name}.log"
        self.starts = 0
        self._process: subprocess.Popen[bytes] | None = None

    def start(self, *extra: str) -> ServiceProcess:
        assert self._process is None or self._process.poll() is not None
        with open(self.log, "ab") as out:
            self._process = subprocess.Popen(
                [sys.executable, "-m", "tradefast", "service", self.name, *self._args, *extra],
                env=self._env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        self.starts += 1
        return self

    @property
    def pid(self) -> int:
        assert self._process is not None
        return self._process.pid

    @property
    def alive(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def kill9(self) -> None:
        """SIGKILL: no handler runs, nothing is flushed or committed."""
        assert self._process is not None and self.alive, f"{self.name} is not running"
        self._process.send_signal(signal.SIGKILL)
        self._process.wait(10)

    def wait_exit(self, wait: float = WAIT) -> int:
        assert self._process is not None
        return self._process.wait(wait)

    def stop(self) -> None:
        if self._process is None or self._process.poll() is not None:
            return
        self._process.send_signal(signal.SIGTERM)
        try:
            self._process.wait(30)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait(10)

    def tail(self, lines: int = 30) -> str:
        if not self.log.exists():
            return "(no log)"
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])


def service_env(settings: Settings) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRADEFAST_")}
    env.update(settings.to_env())
    env.update(NO_METRICS)
    return env


@contextmanager
def services(settings: Settings, log_dir: Path) -> Iterator[Callable[..., ServiceProcess]]:
    """A factory `make(name, *args)` of service processes, all stopped on exit."""
    started: list[ServiceProcess] = []
    env = service_env(settings)

    def make(name: str, *args: str) -> ServiceProcess:
        process = ServiceProcess(name, env, log_dir, *args)
        started.append(process)
        return process

    try:
        yield make
    finally:
        for process in started:
            process.stop()


def topic_size(settings: Settings, topic: str) -> int:
    """Messages in `topic` so far (sum of high watermarks): a cheap progress probe; -1 while the
    broker cannot tell (a partition leader still being elected, the broker restarting)."""
    consumer = Consumer(
        {"bootstrap.servers": settings.kafka_bootstrap, "group.id": "chaos-probe", "log_level": 0}
    )
    try:
        partitions = consumer.list_topics(topic, timeout=10).topics[topic].partitions
        return sum(
            consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10)[1]
            for p in partitions
        )
    except KafkaException:
        return -1
    finally:
        consumer.close()


def decoded(settings: Settings, topic: str) -> list[tuple[int, Inquiry]]:
    """(partition, inquiry) of every message in `topic`, in offset order per partition."""
    result = []
    for message in read_topic(settings, topic):
        inquiry = Inquiry()
        inquiry.ParseFromString(message.value() or b"")
        result.append((message.partition() or 0, inquiry))
    return result


def signed(inquiry: Inquiry) -> tuple[int, int]:
    sign = -1 if inquiry.side == Side.SELL else 1
    return sign * inquiry.quantity * inquiry.price, sign * inquiry.quantity


@dataclass
class Verdict:
    """What the log and Redis show after a fault."""

    generated: int
    enriched_messages: int
    decided_messages: int
    dones: int
    keys: int
    expected: dict[str, tuple[int, int, int, int]]

    def summary(self, fault: str) -> str:
        return (
            f"[chaos] {fault}: {self.generated} generated, all final; replays absorbed: "
            f"{self.enriched_messages - self.generated} enriched and "
            f"{self.decided_messages - self.generated} decided duplicates; "
            f"{self.dones} DONE over {self.keys} keys, positions exact, no DONE applied twice"
        )


def expected_positions(decided: list[Inquiry]) -> dict[str, tuple[int, int, int, int]]:
    """Each key's (notional, quantity, sequence, done_offset) from its DONEs, each id once; the
    done_offset is the highest inquiries.new offset of them."""
    unique = {i.inquiry_id: i for i in decided if i.status == Status.DONE}
    positions: dict[str, tuple[int, int, int, int]] = defaultdict(lambda: (0, 0, 0, -1))
    for inquiry_id in sorted(unique):
        inquiry = unique[inquiry_id]
        key = f"{inquiry.book_id}|{inquiry.instrument_id}"
        notional, quantity, sequence, done_offset = positions[key]
        delta_notional, delta_quantity = signed(inquiry)
        positions[key] = (
            notional + delta_notional,
            quantity + delta_quantity,
            sequence + 1,
            max(done_offset, inquiry.new_offset),
        )
    return dict(positions)


def stored_positions(client: SyncClient) -> dict[str, tuple[int, int, int, int]]:
    stored = {}
    for name in client.scan_iter(match=PREFIX + "*"):
        text = name.decode()
        book, _, instrument = text[len(PREFIX) + 1 :].partition("}:")
        values = client.hmget(text, FIELDS[:4])
        notional, quantity, sequence, done_offset = (int(v or 0) for v in values)
        if sequence:
            stored[f"{book}|{instrument}"] = (notional, quantity, sequence, done_offset)
    return stored


def verify(settings: Settings, client: SyncClient, wait: float = WAIT) -> Verdict:
    """Wait until every generated inquiry has a final decision and Redis holds the positions
    recomputed from those decisions; then check both exactly and return what was found."""
    deadline = time.monotonic() + wait
    while True:
        generated = {i.inquiry_id for _, i in decoded(settings, settings.topics.new)}
        decided = [i for _, i in decoded(settings, settings.topics.decided)]
        missing = generated - {i.inquiry_id for i in decided}
        expected = expected_positions(decided)
        if not missing and stored_positions(client) == expected:
            break
        if time.monotonic() > deadline:
            break
        time.sleep(0.5)

    assert generated, "nothing was generated"
    assert not missing, f"{len(missing)} of {len(generated)} inquiries never decided"
    outcomes: dict[int, set[tuple[int, int, int]]] = defaultdict(set)
    for inquiry in decided:
        assert inquiry.status in FINAL, inquiry
        outcomes[inquiry.inquiry_id].add((inquiry.status, inquiry.position, inquiry.sequence))
    conflicting = {i: finals for i, finals in outcomes.items() if len(finals) > 1}
    assert not conflicting, (
        f"{len(conflicting)} inquiries with two different final states (status, position, "
        f"sequence): {dict(list(conflicting.items())[:5])}"
    )
    assert set(outcomes) == generated, "decisions for inquiries never generated"
    stored = stored_positions(client)
    wrong = {
        key: (expected.get(key), stored.get(key))
        for key in set(expected) | set(stored)
        if expected.get(key) != stored.get(key)
    }
    assert not wrong, f"positions (expected, stored) differ: {wrong}"
    return Verdict(
        generated=len(generated),
        enriched_messages=sum(1 for _ in read_topic(settings, settings.topics.enriched)),
        decided_messages=len(decided),
        dones=sum(p[2] for p in expected.values()),
        keys=len(expected),
        expected=expected,
    )


def ids_increase_per_partition(settings: Settings, topic: str) -> bool:
    """True when, in every partition of `topic`, inquiry ids strictly increase with the offset
    (what the position service's per-key fence relies on)."""
    last: dict[int, int] = {}
    for partition, inquiry in decoded(settings, topic):
        if inquiry.inquiry_id <= last.get(partition, 0):
            return False
        last[partition] = inquiry.inquiry_id
    return True


def enriched_twice_differently(settings: Settings) -> dict[int, set[tuple[int, int, int]]]:
    """Inquiries the enriched topic holds with two different enrichments (position, quantity,
    sequence): what a replay must never produce."""
    seen: dict[int, set[tuple[int, int, int]]] = defaultdict(set)
    for _, inquiry in decoded(settings, settings.topics.enriched):
        seen[inquiry.inquiry_id].add(
            (inquiry.position, inquiry.position_quantity, inquiry.sequence)
        )
    return {i: enrichments for i, enrichments in seen.items() if len(enrichments) > 1}


def absorbed_replays(log: Path) -> int:
    """How many replayed inputs the position service processes writing `log` reported absorbing
    (its "absorbed N replayed inputs" lines, which mirror tradefast_position_replayed_total and
    outlive a killed process)."""
    return sum(int(found) for found in ABSORBED.findall(log.read_text(errors="replace")))


def redis_position(client: redis.Redis, key: str) -> dict[bytes, bytes]:
    return client.hgetall(redis_key(key))  # type: ignore[return-value]
