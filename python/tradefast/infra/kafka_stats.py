"""librdkafka's statistics as Prometheus metrics: the requests each Kafka client of the process has
sent to the brokers, in all and by request type (Produce, Fetch, OffsetCommit, ...).

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
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        log.warning("unreadable librdkafka statistics (%s): %.200s", exc, stats_json)
        return
    for request, count in counts.items():
        KAFKA_REQUESTS.labels(client, request).set(count)
    KAFKA_STATS_CLOCK.labels(client).set(clock)


def _request_counts(stats: dict[str, Any]) -> tuple[str, float, dict[str, int]]:
    by_type: Counter[str] = Counter()
    for broker in stats["brokers"].values():
        by_type.update({name: int(n) for name, n in broker.get("req", {}).items() if n})
    return str(stats["name"]), stats["ts"] / 1e6, {ALL_REQUESTS: int(stats["tx"]), **by_type}
