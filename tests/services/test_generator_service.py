"""The generator: an accurate schedule (created_ns is the scheduled send time), strictly
increasing ids, the configured universe, and the `tradefast service generator` command."""

from __future__ import annotations

import os
import subprocess
import sys
from collections import defaultdict

import pytest
from service_io import decoded, reader
from tradefast.config import Settings
from tradefast.proto.tradefast_pb2 import Inquiry, Side, Status
from tradefast.services.generator import InquiryFactory, Pacer, Universe


def test_pacer_sends_what_is_due_since_the_start() -> None:
    pacer = Pacer(rate=1000.0)
    assert pacer.due(0.0) == 1  # the first inquiry goes at once
    assert pacer.due(0.0105) == 11
    assert pacer.due(2.0) == 2001
    assert Pacer(rate=1000.0, count=5).due(2.0) == 5
    assert Pacer(rate=0.5).due_at(3) == 6.0


@pytest.mark.parametrize("core_name", ["rust", "reference"])
def test_factory_is_seeded_and_stays_in_its_universe(core_name: str) -> None:
    universe = Universe(("B1", "B2"), ("X",), ("c",))
    factory_a = InquiryFactory(universe, 7, 100, core_name)
    factory_b = InquiryFactory(universe, 7, 100, core_name)
    made_a = list(zip(*factory_a.make_batch(list(range(20))), strict=True))
    made_a += zip(*factory_a.make_batch(list(range(20, 50))), strict=True)
    assert made_a == list(zip(*factory_b.make_batch(list(range(50))), strict=True))
    assert factory_a.next_id == 150
    other_seed = InquiryFactory(universe, 8, 100, core_name)
    assert made_a != list(zip(*other_seed.make_batch(list(range(50))), strict=True))
    for n, (key, value) in enumerate(made_a):
        inquiry = Inquiry.FromString(value)
        assert inquiry.inquiry_id == 100 + n
        assert key == f"{inquiry.book_id}|{inquiry.instrument_id}".encode()
        assert inquiry.book_id in ("B1", "B2") and inquiry.instrument_id == "X"
        assert inquiry.counterparty == "c" and inquiry.created_ns == n


def test_command_publishes_count_inquiries_on_schedule(
    settings: Settings, settings_env: dict[str, str]
) -> None:
    rate, count, start_id = 5000, 2000, 10**12
    command = [sys.executable, "-m", "tradefast", "service", "generator"]
    command += ["--rate", str(rate), "--count", str(count), "--start-id", str(start_id)]
    command += ["--seed", "3", "--metrics-port", "0"]
    done = subprocess.run(
        command, env={**os.environ, **settings_env}, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    with reader(settings, settings.topics.new) as topic:
        messages = topic.read(count)
    inquiries = decoded(messages)

    assert len(inquiries) == count
    assert sorted(i.inquiry_id for i in inquiries) == list(range(start_id, start_id + count))
    by_partition: dict[int | None, list[int]] = defaultdict(list)
    for message, inquiry in zip(messages, inquiries, strict=True):
        by_partition[message.partition()].append(inquiry.inquiry_id)
        assert message.key() == f"{inquiry.book_id}|{inquiry.instrument_id}".encode()
        assert inquiry.status == Status.NEW and inquiry.version == 1
        assert inquiry.book_id in ("BOOK1", "BOOK2", "BOOK3")
        assert inquiry.instrument_id in ("AAPL", "MSFT", "GOOG", "AMZN", "TSLA")
        assert inquiry.counterparty in ("cpt1", "cpt2", "cpt3")
        assert 100 <= inquiry.quantity <= 5000 and inquiry.quantity % 100 == 0
        assert 100 <= inquiry.price <= 9999
        assert inquiry.side in (Side.BUY, Side.SELL)
        assert inquiry.event_time == inquiry.created_ns // 1_000_000
    assert all(ids == sorted(ids) for ids in by_partition.values())
    created = {i.inquiry_id: i.created_ns for i in inquiries}
    gaps = {created[n + 1] - created[n] for n in range(start_id, start_id + count - 1)}
    assert gaps <= {199_999, 200_000, 200_001}  # 1e9 / rate, to the rounding of one ns


def test_command_rejects_a_bad_rate(settings_env: dict[str, str]) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "tradefast", "service", "generator", "--rate", "fast"],
        env={**os.environ, **settings_env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "--rate" in done.stderr and "Traceback" not in done.stderr


def test_unreachable_kafka_is_a_clear_error(settings_env: dict[str, str]) -> None:
    env = {**os.environ, **settings_env, "TRADEFAST_KAFKA_BOOTSTRAP": "127.0.0.1:1"}
    env["TRADEFAST_STARTUP_WAIT"] = "1"
    done = subprocess.run(
        [sys.executable, "-m", "tradefast", "service", "generator", "--metrics-port", "0"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2
    assert "Kafka at 127.0.0.1:1 did not answer" in done.stderr
    assert "Traceback" not in done.stderr
