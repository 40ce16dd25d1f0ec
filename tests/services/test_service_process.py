"""A service as its own process: SIGTERM finishes, commits and exits cleanly; bad settings are a
clear message and exit code, not a traceback."""

from __future__ import annotations

import os
import subprocess
import sys

from confluent_kafka import Consumer, TopicPartition
from service_io import WAIT, inquiry, publish_inquiries, reader, service_process, stop_service
from tradefast.config import Settings
from tradefast.infra.kafka_config import consumer_config
from tradefast.proto.tradefast_pb2 import Status


def test_sigterm_commits_what_was_handled_and_exits_zero(
    settings: Settings, settings_env: dict[str, str]
) -> None:
    env = {**os.environ, **settings_env, "TRADEFAST_CORE": "rust"}
    command = [sys.executable, "-m", "tradefast", "service", "trader", "--metrics-port", "0"]
    enriched = [inquiry(n, Status.POSITION_ENRICHED, version=2) for n in range(1, 51)]
    with service_process(command, env) as service:
        with reader(settings, settings.topics.decided) as decided:
            publish_inquiries(settings, settings.topics.enriched, enriched)
            decided.read(50)
        stderr = stop_service(service)

    assert service.returncode == 0, stderr
    assert "trader stopped" in stderr
    group = Consumer(consumer_config(settings, "tradefast-trader"))
    try:
        partitions = [
            TopicPartition(settings.topics.enriched, p) for p in range(settings.partitions)
        ]
        committed = group.committed(partitions, timeout=WAIT)
        ends = [group.get_watermark_offsets(tp, timeout=WAIT)[1] for tp in partitions]
    finally:
        group.close()
    assert [max(tp.offset, 0) for tp in committed] == ends
    assert sum(ends) == 50


def test_bad_setting_is_a_clear_error(settings_env: dict[str, str]) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "tradefast", "service", "trader"],
        env={**os.environ, **settings_env, "TRADEFAST_DONE_FRACTION": "2"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "TRADEFAST_DONE_FRACTION=2.0 is out of range 0.0..1.0" in done.stderr
    assert "Traceback" not in done.stderr
