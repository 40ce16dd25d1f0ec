"""librdkafka's statistics as Prometheus metrics: the requests each Kafka client of the process has
sent to the brokers, in all and by request type (Produce, Fetch, OffsetCommit, ...), and how long
a producer's messages and requests waited.

Off unless TRADEFAST_KAFKA_STATS_MS is set: librdkafka then hands its statistics (JSON) to
`record` every that many milliseconds, from inside the client's poll and consume calls. The
broker's CPU follows the number of requests it serves, so `tradefast bench` reads these to report
requests per inquiry.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from typing import Any

from prometheus_client import Counter as MetricCounter
from prometheus_client import Gauge

log = logging.getLogger(__name__)

ALL_REQUESTS = "all"

KAFKA_REQUESTS = Gauge(
    "tradefast_kafka_requests",
    "Requests the client has sent to the brokers, by type ('all': every type), as of its last "
    "statistics",
    ["client", "request"],
)
# librdkafka's clock is CLOCK_MONOTONIC, as Python's time.monotonic() on Linux: a reader can tell
# which moment the counts above describe.
KAFKA_STATS_CLOCK = Gauge(
    "tradefast_kafka_stats_clock_seconds",
    "librdkafka's monotonic clock at the client's last statistics",
    ["client"],
)

# Each statistics document carries the waits of the window since the previous one (librdkafka
# rolls them over when it reports), so their sums and counts add up to totals: a reader takes the
# mean over any span. "queue": a message in the producer's queue until its request is built
# (librdkafka's int_latency; it grows when the connection's in-flight requests are at their
# limit); "round_trip": a produce request until its response (rtt).
PRODUCER_WAITS = {"queue": "int_latency", "round_trip": "rtt"}
KAFKA_PRODUCER_WAIT = MetricCounter(
    "tradefast_kafka_producer_wait_seconds",
    "Time a producer's messages waited in its queue ('queue') and its requests took at the "
    "broker ('round_trip'), summed",
    ["client", "wait"],
)
KAFKA_PRODUCER_WAITS = MetricCounter(
    "tradefast_kafka_producer_waits",
    "Messages ('queue') and requests ('round_trip') whose waits tradefast_kafka_producer_wait sums",
    ["client", "wait"],
)


def statistics_config(interval_ms: int) -> dict[str, object]:
    """The client settings that make librdkafka report to `record` (none when interval_ms is 0)."""
    if interval_ms <= 0:
        return {}
    return {"statistics.interval.ms": interval_ms, "stats_cb": record}


def record(stats_json: str) -> None:
    """Keep one client's request counts; malformed statistics are logged, never raised into
    librdkafka's poll."""
    try:
        stats = json.loads(stats_json)
        client, clock, counts = _request_counts(stats)
        waits = _producer_waits(stats) if stats.get("type") == "producer" else {}
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        log.warning("unreadable librdkafka statistics (%s): %.200s", exc, stats_json)
        return
    for request, count in counts.items():
        KAFKA_REQUESTS.labels(client, request).set(count)
    for wait, (seconds, count) in waits.items():
        KAFKA_PRODUCER_WAIT.labels(client, wait).inc(seconds)
        KAFKA_PRODUCER_WAITS.labels(client, wait).inc(count)
    KAFKA_STATS_CLOCK.labels(client).set(clock)


def _request_counts(stats: dict[str, Any]) -> tuple[str, float, dict[str, int]]:
    by_type: Counter[str] = Counter()
    for broker in stats["brokers"].values():
        by_type.update({name: int(n) for name, n in broker.get("req", {}).items() if n})
    return str(stats["name"]), stats["ts"] / 1e6, {ALL_REQUESTS: int(stats["tx"]), **by_type}


def _producer_waits(stats: dict[str, Any]) -> dict[str, tuple[float, int]]:
    """Per wait, the seconds summed over this window and how many waits they are."""
    waits: dict[str, tuple[float, int]] = {}
    for wait, field in PRODUCER_WAITS.items():
        windows = [broker.get(field) or {} for broker in stats["brokers"].values()]
        count = sum(int(window.get("cnt", 0)) for window in windows)
        if count:
            waits[wait] = (sum(int(window["sum"]) for window in windows) / 1e6, count)
    return waits
