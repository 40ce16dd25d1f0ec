"""`tradefast positions check` and `rebuild` against a real pipeline's log and Redis: agreement
after a run (replayed DONEs counted once), each kind of drift reported with a non-zero exit, and
Redis restored from the log."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import redis
from chaos_harness import decoded, service_env, services, verify
from confluent_kafka import Producer
from tradefast.config import Settings
from tradefast.infra.kafka_config import producer_config
from tradefast.positions.store import redis_key
from tradefast.proto.tradefast_pb2 import Status

pytestmark = pytest.mark.chaos


def positions_command(settings: Settings, action: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tradefast", "positions", action],
        env=service_env(settings),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_check_finds_drift_and_rebuild_repairs_it(
    settings: Settings, redis_client: redis.Redis, tmp_path: Path
) -> None:
    with services(settings, tmp_path) as make:
        make("position").start()
        make("trader").start()
        generator = make("generator", "--rate", "3000", "--count", "2000").start()
        assert generator.wait_exit() == 0, generator.tail()
        verdict = verify(settings, redis_client)

    # A replay writes a decision twice: the audit counts each inquiry once.
    done = next(i for _, i in decoded(settings, settings.topics.decided) if i.status == Status.DONE)
    producer = Producer(producer_config(settings))
    key = f"{done.book_id}|{done.instrument_id}"
    producer.produce(settings.topics.decided, done.SerializeToString(), key.encode())
    assert producer.flush(30) == 0
    agreed = positions_command(settings, "check")
    assert agreed.returncode == 0, agreed.stdout + agreed.stderr
    assert f"{verdict.keys} positions match the log ({verdict.dones} DONE" in agreed.stdout

    keys = sorted(verdict.expected)
    redis_client.hincrby(redis_key(keys[0]), "notional", 1)  # off by a cent
    redis_client.delete(redis_key(keys[1]))  # lost
    redis_client.hset(redis_key("BOOKX|NOPE"), mapping={"notional": 5, "sequence": 1})  # stray
    drifted = positions_command(settings, "check")
    assert drifted.returncode == 1, drifted.stdout + drifted.stderr
    reported = drifted.stdout.splitlines()
    assert sum(line.startswith(keys[0] + ":") for line in reported) == 1
    assert any(line.startswith(keys[1] + ":") and "redis absent" in line for line in reported)
    assert any(line.startswith("BOOKX|NOPE:") and "log absent" in line for line in reported)
    assert "3 of" in reported[-1]

    rebuilt = positions_command(settings, "rebuild")
    assert rebuilt.returncode == 0, rebuilt.stdout + rebuilt.stderr
    assert positions_command(settings, "check").returncode == 0
    verify(settings, redis_client)
    print(
        f"[audit] check: {verdict.keys} keys agree after a run with a replayed DONE; drift "
        f"(a cent off, a lost key, a stray key) reported with exit 1 as {len(reported) - 1} "
        "lines; rebuild restored Redis exactly from the log"
    )


def test_check_reports_an_unreachable_broker_clearly(settings: Settings) -> None:
    env = {**service_env(settings), "TRADEFAST_KAFKA_BOOTSTRAP": "127.0.0.1:1"}
    done = subprocess.run(
        [sys.executable, "-m", "tradefast", "positions", "check"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 2
    assert "Kafka at 127.0.0.1:1 did not answer" in done.stderr
    assert "Traceback" not in done.stderr
