"""Cost accounting without servers: librdkafka's statistics become request metrics, the bench
reads them back from a /metrics page, and the per-inquiry figures add up."""

from __future__ import annotations

import json
from collections import Counter

import pytest
from prometheus_client import generate_latest
from tradefast.bench.calibrate import calibrate
from tradefast.bench.cost import Requests, Spent, Waits, parse_requests, summarize
from tradefast.infra import kafka_stats
from tradefast.infra.kafka_stats import record, statistics_config
from tradefast.runtime.metrics import ServiceMetrics


def librdkafka_statistics(name: str, ts_us: int, produce: int, fetch: int) -> str:
    """The parts of librdkafka's statistics JSON that are read, as librdkafka lays them out:
    `tx` counts every request, `brokers.*.req` by type (the group coordinator is a broker
    entry of its own)."""
    return json.dumps(
        {
            "name": name,
            "type": "consumer",
            "ts": ts_us,
            "tx": produce + fetch + 3,
            "brokers": {
                "127.0.0.1:9092/1": {
                    "tx": produce + fetch,
                    "req": {"Produce": produce, "Fetch": fetch, "Metadata": 0},
                },
                "GroupCoordinator": {"tx": 3, "req": {"Heartbeat": 3}},
            },
        }
    )


def test_statistics_become_request_metrics_that_the_bench_reads_back() -> None:
    record(librdkafka_statistics("svc-a#producer-1", 5_000_000, produce=40, fetch=0))
    record(librdkafka_statistics("svc-a#consumer-2", 5_500_000, produce=0, fetch=60))
    page = generate_latest().decode()
    requests = parse_requests(
        "\n".join(line for line in page.splitlines() if "svc-a#" in line or line.startswith("#"))
    )
    # The oldest statistics of the process's clients date the counts.
    assert requests.clock == 5.0
    assert requests.counts == Counter(
        {"all": 40 + 3 + 60 + 3, "Produce": 40, "Fetch": 60, "Heartbeat": 6}
    )


def producer_statistics(name: str, queued_us: list[int], round_trips_us: list[int]) -> str:
    """A producer's statistics with the waits of one window, as librdkafka lays them out: per
    broker, `int_latency` (one value per message) and `rtt` (one per request) with their sum and
    count; the bootstrap entry has empty windows."""
    empty = {"sum": 0, "cnt": 0, "p50": 0}
    return json.dumps(
        {
            "name": name,
            "type": "producer",
            "ts": 7_000_000,
            "tx": len(round_trips_us),
            "brokers": {
                "127.0.0.1:9092/1": {
                    "req": {"Produce": len(round_trips_us)},
                    "int_latency": {"sum": sum(queued_us), "cnt": len(queued_us), "p50": 1},
                    "rtt": {"sum": sum(round_trips_us), "cnt": len(round_trips_us), "p50": 1},
                },
                "127.0.0.1:9092/bootstrap": {"req": {}, "int_latency": empty, "rtt": empty},
            },
        }
    )


def test_producer_waits_add_up_over_windows_and_the_bench_reads_their_means() -> None:
    record(producer_statistics("svc-w#producer-1", [1000, 3000], [4000]))
    before = parse_requests(_lines_of("svc-w#"))
    record(producer_statistics("svc-w#producer-1", [500, 1500], [1000, 3000]))
    # A consumer's round trips are its fetches waiting for data: not a producer wait.
    consumer = json.loads(librdkafka_statistics("svc-w#consumer-2", 7_000_000, 0, 5))
    consumer["brokers"]["127.0.0.1:9092/1"]["rtt"] = {"sum": 99_000_000, "cnt": 1}
    record(json.dumps(consumer))
    after = parse_requests(_lines_of("svc-w#"))
    assert before.waits.mean_ms() == {"queue": 2.0, "round_trip": 4.0}
    # Over the span between the two reads: the second window alone.
    step = after.since(before)
    assert step.waits.counts == Counter({"queue": 2, "round_trip": 2})
    assert step.waits.mean_ms() == {"queue": 1.0, "round_trip": 2.0}
    assert after.waits.mean_ms() == {"queue": 1.5, "round_trip": 2.667}


def _lines_of(client_prefix: str) -> str:
    page = generate_latest().decode()
    return "\n".join(
        line for line in page.splitlines() if client_prefix in line or line.startswith("#")
    )


def test_the_bench_reads_back_the_batches_of_a_service() -> None:
    metrics = ServiceMetrics("svc-b")
    for size in (1, 3, 700):
        metrics.batch_size.observe(size)
    page = generate_latest().decode()
    lines = [line for line in page.splitlines() if 'service="svc-b"' in line or "#" in line]
    assert parse_requests("\n".join(lines)).batches == 3


def test_unreadable_statistics_are_logged_not_raised(caplog: pytest.LogCaptureFixture) -> None:
    record("{not json")
    record(json.dumps({"name": "x"}))
    assert len([r for r in caplog.records if "unreadable librdkafka statistics" in r.message]) == 2


def test_statistics_are_off_unless_an_interval_is_set() -> None:
    assert statistics_config(0) == {}
    assert statistics_config(500) == {"statistics.interval.ms": 500, "stats_cb": kafka_stats.record}


def test_requests_over_a_step_and_a_rate_carried_to_the_end() -> None:
    before = Requests(10.0, Counter({"all": 100, "Fetch": 60}), batches=40)
    after = Requests(30.0, Counter({"all": 500, "Fetch": 360}), batches=240)
    spent = after.since(before)
    assert (spent.seconds, spent.counts) == (20.0, Counter({"all": 400, "Fetch": 300}))
    assert spent.batches == 200
    assert spent.scaled(25.0).counts == Counter({"all": 500, "Fetch": 375})
    assert spent.scaled(25.0).batches == 250


def test_cost_per_inquiry_by_process_and_in_total() -> None:
    cpu = {"position": 0.5, "kafka": 2.0, "client": 0.25}
    waits = Waits({"queue": 0.002, "round_trip": 0.5}, Counter({"queue": 4, "round_trip": 250}))
    requests = {
        "position": Spent(10.0, Counter({"all": 3000, "Fetch": 2000, "Produce": 1000}), 2500),
        "generator": Spent(5.0, Counter({"all": 500, "Produce": 500}), waits=waits),
    }
    cost = summarize(cpu, requests, inquiries=10_000, seconds=10.0)
    # The bench's own client is shown but not counted in the pipeline's total.
    assert cost["seconds"] == 10.0
    assert cost["cpu_us_per_inquiry"] == {
        "client": 25.0,
        "kafka": 200.0,
        "position": 50.0,
        "total": 250.0,
    }
    # Per batch: the position service's 0.5 s over its 2,500 batches; no batches, no figure.
    assert cost["batches"] == {"position": 2500}
    assert cost["cpu_us_per_batch"] == {"position": 200.0}
    assert cost["kafka_requests"] == {
        "total": 3500,
        "per_second": {"generator": 50.0, "position": 300.0, "total": 350.0},
        "per_inquiry": {"generator": 0.05, "position": 0.3, "total": 0.35},
        "by_type_per_inquiry": {"Fetch": 0.2, "Produce": 0.15},
    }
    # Means in ms; a process whose producer reported no waits has none.
    assert cost["kafka_producer_waits_ms"] == {"generator": {"queue": 0.5, "round_trip": 2.0}}


def test_calibration_measures_both_loops() -> None:
    figures = calibrate()
    assert figures["python_loop_per_us"] > 0
    assert figures["sha256_mib_per_s"] > 0
