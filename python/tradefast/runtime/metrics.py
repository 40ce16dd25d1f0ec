"""Prometheus metrics of a service, labelled by service name so several services can share one
process (tests) and one scrape config. `serve_metrics(port)` exposes them; port 0 disables."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TypeVar

from prometheus_client import Counter, Gauge, start_http_server

from tradefast.runtime.loop_histogram import LoopHistogram

log = logging.getLogger(__name__)

T = TypeVar("T")

MESSAGES_IN = Counter("tradefast_messages_in", "Messages consumed", ["service", "topic"])
MESSAGES_OUT = Counter("tradefast_messages_out", "Messages published", ["service", "topic"])
ERRORS = Counter("tradefast_errors", "Consume, handler and delivery errors", ["service"])
DEAD_LETTERS = Counter(
    "tradefast_dead_letters", "Messages sent to the dead-letter topic", ["service"]
)
BATCH_SIZE = LoopHistogram(
    "tradefast_batch_size",
    "Messages per consumed batch",
    ["service"],
    buckets=(1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000),
)
CONSUMER_LAG = Gauge(
    "tradefast_consumer_lag", "High watermark minus position", ["service", "topic", "partition"]
)
ASSIGNED = Gauge(
    "tradefast_assigned_partitions", "Partitions assigned to this consumer", ["service"]
)
STAGE_SECONDS = LoopHistogram(
    "tradefast_stage_seconds",
    "Time spent per batch in each stage (consume wait excluded)",
    ["service", "stage"],
    buckets=(0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0),
)


class ServiceMetrics:
    """The metric children of one service, each resolved once: a label lookup cost more than the
    observation itself. Observed from the service's event loop only (the histograms have no
    locks)."""

    def __init__(self, service: str) -> None:
        self.service = service
        self.errors = ERRORS.labels(service)
        self.dead_letters = DEAD_LETTERS.labels(service)
        self.batch_size = BATCH_SIZE.labels(service)
        self.assigned = ASSIGNED.labels(service)
        self._received = _Children(lambda topic: MESSAGES_IN.labels(service, topic))
        self._sent = _Children(lambda topic: MESSAGES_OUT.labels(service, topic))
        self._stages = _Children(lambda stage: STAGE_SECONDS.labels(service, stage))

    def received(self, topic: str, count: int) -> None:
        self._received[topic].inc(count)

    def sent(self, topic: str, count: int) -> None:
        self._sent[topic].inc(count)

    def stage(self, stage: str, seconds: float) -> None:
        self._stages[stage].observe(seconds)

    def lag(self, topic: str, partition: int, lag: int) -> None:
        CONSUMER_LAG.labels(self.service, topic, str(partition)).set(lag)


class _Children(dict[str, T]):
    """A family's children by their last label, each resolved on first use."""

    def __init__(self, resolve: Callable[[str], T]) -> None:
        super().__init__()
        self._resolve = resolve

    def __missing__(self, label: str) -> T:
        child = self[label] = self._resolve(label)
        return child


def serve_metrics(port: int, host: str = "127.0.0.1") -> None:
    """Expose /metrics on `host:port` from a daemon thread; port 0 means no endpoint."""
    if port == 0:
        return
    start_http_server(port, addr=host)
    log.info("metrics on http://%s:%d/metrics", host, port)
