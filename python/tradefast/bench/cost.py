"""What a load step costs: CPU per inquiry of every process and Kafka requests per inquiry.

CPU: user + system seconds of each process (psutil) before and after the step, the Kafka broker
and Redis included when they run on this machine. Requests: the services run with librdkafka's
statistics on (TRADEFAST_KAFKA_STATS_MS), which each exports on its metrics endpoint as
`tradefast_kafka_requests{client, request}` with the clock of the statistics
(`tradefast_kafka_stats_clock_seconds`, CLOCK_MONOTONIC like time.monotonic()), so the counts of
each process can be taken before and after the step. Batches: each service's handled batches
(`tradefast_batch_size_count`), so its CPU per batch shows the fixed cost of a wake-up, which
CPU per inquiry hides when batches grow with the load. Producer waits: the same statistics sum
how long each producer's messages queued and its requests took at the broker
(`tradefast_kafka_producer_wait_seconds` and `_waits`), so a step's mean of each shows where a
hop's time goes when the latency grows with the rate.
"""

from __future__ import annotations

import http.client
import time
import urllib.error
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from prometheus_client.metrics_core import Metric
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Sample

from tradefast.infra.kafka_stats import ALL_REQUESTS

# Every statistics interval, each client parses a JSON document of ~10-20 kB (~0.3 ms of CPU):
# twice a second costs the pipeline's 7 clients about 0.5 % of a core. A client's statistics reach
# its metrics only when the service polls that client, and a producer is not polled once its
# service is idle: its count can miss the requests of up to one interval at the end of a step.
STATS_INTERVAL_MS = 500
SCRAPE_TIMEOUT = 2.0
# Processes not counted in the pipeline's total: the bench's own WebSocket clients.
INSTRUMENTS = ("client", "original_client")


@dataclass
class Waits:
    """A process's producer waits by kind ('queue', 'round_trip'): seconds summed, and how many."""

    seconds: dict[str, float] = field(default_factory=dict)
    counts: Counter[str] = field(default_factory=Counter)

    def since(self, earlier: Waits) -> Waits:
        seconds = {k: v - earlier.seconds.get(k, 0.0) for k, v in self.seconds.items()}
        return Waits(seconds, self.counts - earlier.counts)

    def mean_ms(self) -> dict[str, float]:
        return {
            wait: round(self.seconds.get(wait, 0.0) * 1000 / n, 3)
            for wait, n in sorted(self.counts.items())
            if n > 0
        }


@dataclass
class Requests:
    """The request counts of one process's Kafka clients, as of `clock` (the oldest of their
    last statistics; 0.0 when none has reported yet)."""

    clock: float = 0.0
    counts: Counter[str] = field(default_factory=Counter)
    batches: int = 0
    waits: Waits = field(default_factory=Waits)

    def since(self, earlier: Requests) -> Spent:
        return Spent(
            self.clock - earlier.clock,
            self.counts - earlier.counts,
            self.batches - earlier.batches,
            self.waits.since(earlier.waits),
        )


@dataclass
class Spent:
    """Requests sent over `seconds`, by type (and ALL_REQUESTS)."""

    seconds: float
    counts: Counter[str]
    batches: int = 0
    waits: Waits = field(default_factory=Waits)

    def scaled(self, seconds: float) -> Spent:
        """The same rate over `seconds`: for a process whose last statistics came before it
        ended, sending at a steady rate (the generator). Its mean waits stay as measured."""
        factor = seconds / self.seconds if self.seconds > 0 else 1.0
        counts = Counter({name: round(n * factor) for name, n in self.counts.items()})
        return Spent(seconds, counts, round(self.batches * factor), self.waits)


def parse_requests(metrics_text: str) -> Requests:
    """The summed request counts, the oldest statistics clock, the batches handled and the
    producer waits in a /metrics page."""
    counts: Counter[str] = Counter()
    clocks: list[float] = []
    batches = 0
    waits = Waits()
    for family in text_string_to_metric_families(metrics_text):
        if family.name == "tradefast_kafka_requests":
            for sample in family.samples:
                counts[sample.labels["request"]] += int(sample.value)
        elif family.name == "tradefast_kafka_producer_wait_seconds":
            for sample in _totals(family):
                wait = sample.labels["wait"]
                waits.seconds[wait] = waits.seconds.get(wait, 0.0) + sample.value
        elif family.name == "tradefast_kafka_producer_waits":
            for sample in _totals(family):
                waits.counts[sample.labels["wait"]] += int(sample.value)
        elif family.name == "tradefast_kafka_stats_clock_seconds":
            clocks.extend(sample.value for sample in family.samples)
        elif family.name == "tradefast_batch_size":
            batches += sum(int(s.value) for s in family.samples if s.name.endswith("_count"))
    return Requests(min(clocks, default=0.0), counts, batches, waits)


def _totals(family: Metric) -> list[Sample]:
    """A counter's running totals (not its `_created` timestamps)."""
    return [sample for sample in family.samples if sample.name.endswith("_total")]


def scrape_requests(url: str) -> Requests | None:
    """The process's request counts from its metrics endpoint; None when it does not answer."""
    try:
        with urllib.request.urlopen(url, timeout=SCRAPE_TIMEOUT) as response:
            body: bytes = response.read()
    except (urllib.error.URLError, OSError, http.client.HTTPException):
        return None  # not serving yet, or gone (the generator exits while being read)
    return parse_requests(body.decode())


def fresh_requests(url: str, since: float, timeout: float) -> Requests | None:
    """The first counts of `url` whose every client reported after monotonic time `since`
    (0.0: at all), waiting up to `timeout` s for the next statistics; the latest seen if none
    come."""
    deadline = time.monotonic() + timeout
    latest = scrape_requests(url)
    while latest is not None and latest.clock <= since and time.monotonic() < deadline:
        time.sleep(0.05)
        latest = scrape_requests(url) or latest
    return latest


def summarize(
    cpu_seconds: dict[str, float],
    requests: dict[str, Spent],
    inquiries: int,
    seconds: float,
) -> dict[str, Any]:
    """CPU µs and Kafka requests per inquiry, per process and in total, and requests per second
    over the step's `seconds` (from the generator's start until the client has every inquiry)."""
    cpu_us = {name: round(used * 1e6 / inquiries, 1) for name, used in sorted(cpu_seconds.items())}
    cpu_us["total"] = round(sum(us for name, us in cpu_us.items() if name not in INSTRUMENTS), 1)
    batches = {name: r.batches for name, r in sorted(requests.items()) if r.batches > 0}
    counts = {name: r.counts[ALL_REQUESTS] for name, r in sorted(requests.items())}
    by_type: Counter[str] = Counter()
    for r in requests.values():
        by_type.update(r.counts)
    del by_type[ALL_REQUESTS]
    total = sum(counts.values())
    return {
        "inquiries": inquiries,
        "seconds": round(seconds, 3),
        "cpu_us_per_inquiry": cpu_us,
        "batches": batches,
        "cpu_us_per_batch": {
            name: round(cpu_seconds[name] * 1e6 / n, 1)
            for name, n in batches.items()
            if name in cpu_seconds
        },
        "kafka_requests": {
            "total": total,
            "per_second": {
                **{name: round(n / seconds, 1) for name, n in counts.items()},
                "total": round(total / seconds, 1),
            },
            "per_inquiry": {
                **{name: round(n / inquiries, 3) for name, n in counts.items()},
                "total": round(total / inquiries, 3),
            },
            "by_type_per_inquiry": {
                name: round(count / inquiries, 3) for name, count in by_type.most_common()
            },
        },
        "kafka_producer_waits_ms": {
            name: waits for name, r in sorted(requests.items()) if (waits := r.waits.mean_ms())
        },
    }
