"""`up`, `status` and `down` on servers of their own (free ports, a temporary home)."""

from __future__ import annotations

import time
from pathlib import Path

import redis
from confluent_kafka import Consumer, Producer
from tradefast import config
from tradefast.config import Settings
from tradefast.infra.kafka_config import consumer_config, producer_config
from tradefast.infra.local import LocalInfra, State
from tradefast.infra.netcheck import accepts_connections, free_port, split_host_port


def _own_settings(home: Path) -> Settings:
    return config.load(
        {
            "TRADEFAST_HOME": str(home),
            "TRADEFAST_KAFKA_BOOTSTRAP": f"127.0.0.1:{free_port()}",
            "TRADEFAST_REDIS_URL": f"redis://127.0.0.1:{free_port()}/0",
        }
    )


def _read_all(settings: Settings, topic: str, expected: int) -> list[bytes | None]:
    consumer = Consumer(consumer_config(settings, group=f"reader-{time.monotonic_ns()}"))
    consumer.subscribe([topic])
    values: list[bytes | None] = []
    deadline = time.monotonic() + 60
    try:
        while len(values) < expected and time.monotonic() < deadline:
            message = consumer.poll(0.5)
            if message is not None and message.error() is None:
                values.append(message.value())
    finally:
        consumer.close()
    return values


def test_up_twice_is_a_no_op_and_down_stops_both(tmp_path: Path) -> None:
    settings = _own_settings(tmp_path)
    infra = LocalInfra(settings, ephemeral=True)
    try:
        first = infra.up()
        second = infra.up()
        assert [s.state for s in first] == [State.STARTED, State.STARTED]
        assert [s.state for s in second] == [State.RUNNING, State.RUNNING]
        assert [s.record for s in second] == [s.record for s in first]
        assert [s.state for s in infra.status()] == [State.RUNNING, State.RUNNING]
    finally:
        stopped = infra.down()
    assert [s.name for s in stopped] == ["kafka", "redis"]
    assert [s.state for s in infra.status()] == [State.STOPPED, State.STOPPED]
    assert not accepts_connections(*split_host_port(settings.kafka_bootstrap))
    assert (tmp_path / "kafka" / "data" / "meta.properties").exists()  # data kept


def test_down_then_up_keeps_messages_and_keys_and_wipe_removes_them(tmp_path: Path) -> None:
    settings = _own_settings(tmp_path)
    infra = LocalInfra(settings, ephemeral=True)
    try:
        infra.up()
        producer = Producer(producer_config(settings))
        producer.produce(settings.topics.new, key=b"BOOK1|AAPL", value=b"kept")
        assert producer.flush(30) == 0
        client = redis.Redis.from_url(settings.redis_url)
        client.set("position:AAPL:BOOK1", 12345)
        client.close()

        infra.down()
        restarted = infra.up()
        assert [s.state for s in restarted] == [State.STARTED, State.STARTED]

        assert _read_all(settings, settings.topics.new, expected=1) == [b"kept"]
        client = redis.Redis.from_url(settings.redis_url)
        assert client.get("position:AAPL:BOOK1") == b"12345"
        client.close()
    finally:
        infra.down(wipe=True)
    assert not (tmp_path / "kafka").exists()
    assert not (tmp_path / "redis").exists()


def test_servers_that_already_answer_are_used_and_never_stopped(
    settings: Settings, redis_client: redis.Redis, tmp_path: Path
) -> None:
    # The session's servers were started by another LocalInfra (the `infra` fixture).
    guest = LocalInfra(config.load({**settings.to_env(), "TRADEFAST_HOME": str(tmp_path)}))
    assert [s.state for s in guest.up()] == [State.EXTERNAL, State.EXTERNAL]
    assert [s.state for s in guest.status()] == [State.EXTERNAL, State.EXTERNAL]
    assert guest.down() == []
    assert accepts_connections(*split_host_port(settings.kafka_bootstrap))
    assert redis_client.ping()
