"""The lock-free histogram exposes what prometheus_client's Histogram would for the same
observations, so dashboards and alerts read it unchanged."""

from __future__ import annotations

import pytest
from prometheus_client import CollectorRegistry, Histogram, generate_latest
from tradefast.runtime.loop_histogram import LoopHistogram

BUCKETS = (0.001, 0.01, 0.1, 1.0)
# Bounds themselves (`le` is inclusive), values between, below the first and above the last.
VALUES = (0.0, 0.0005, 0.001, 0.002, 0.01, 0.05, 0.1, 0.99, 1.0, 1.5, 30.0)


def _samples(registry: CollectorRegistry) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in registry.collect()
        for sample in family.samples
        if not sample.name.endswith("_created")
    }


def test_same_exposition_as_prometheus_client() -> None:
    ours, theirs = CollectorRegistry(), CollectorRegistry()
    fast = LoopHistogram("h_seconds", "doc", ["service", "stage"], BUCKETS, registry=ours)
    slow = Histogram("h_seconds", "doc", ["service", "stage"], buckets=BUCKETS, registry=theirs)
    for stage in ("handle", "produce"):
        for value in VALUES if stage == "handle" else VALUES[::3]:
            fast.labels("svc", stage).observe(value)
            slow.labels("svc", stage).observe(value)
    assert _samples(ours) == pytest.approx(_samples(theirs))
    assert b'h_seconds_bucket{le="+Inf",service="svc",stage="handle"} 11.0' in generate_latest(ours)


def test_series_is_resolved_once() -> None:
    histogram = LoopHistogram("x", "doc", ["a"], BUCKETS, registry=None)
    assert histogram.labels("1") is histogram.labels("1")
    assert histogram.labels("1") is not histogram.labels("2")


@pytest.mark.parametrize("buckets", [(), (1.0, 0.5), (1.0, 1.0), (1.0, float("inf"))])
def test_bad_buckets_are_refused(buckets: tuple[float, ...]) -> None:
    with pytest.raises(ValueError, match="buckets"):
        LoopHistogram("x", "doc", ["a"], buckets, registry=None)


def test_wrong_label_count_is_refused() -> None:
    with pytest.raises(ValueError, match="expected labels"):
        LoopHistogram("x", "doc", ["a", "b"], BUCKETS, registry=None).labels("1")
