"""Latency summaries shared by the benchmarks: an HDR histogram in nanoseconds, reported in µs."""

from __future__ import annotations

from hdrh.histogram import HdrHistogram

# 1 ns .. 60 s at 3 significant digits: sub-microsecond resolution at the low end.
LOWEST_NS = 1
HIGHEST_NS = 60_000_000_000
SIGNIFICANT_DIGITS = 3


def new_histogram() -> HdrHistogram:
    return HdrHistogram(LOWEST_NS, HIGHEST_NS, SIGNIFICANT_DIGITS)


def summary_us(histogram: HdrHistogram) -> dict[str, float]:
    """count, p50, p90, p99, p99.9 and max in microseconds, rounded to 0.1 µs."""

    def us(nanoseconds: int) -> float:
        return round(nanoseconds / 1000, 1)

    return {
        "count": int(histogram.get_total_count()),
        "p50_us": us(histogram.get_value_at_percentile(50)),
        "p90_us": us(histogram.get_value_at_percentile(90)),
        "p99_us": us(histogram.get_value_at_percentile(99)),
        "p99_9_us": us(histogram.get_value_at_percentile(99.9)),
        "max_us": us(histogram.get_max_value()),
    }
