"""Histograms observed from one thread only (a service's event loop), without locks.

prometheus_client's Histogram takes a lock per observation and resolves its labels per call: on
the 2-core machine `labels(...).observe(...)` cost ~18 µs, and a service observes four or five
per batch, which at low rates (one or two messages per batch) was a large part of its Python per
batch (docs/bench.md). Here a series is a list of bucket counts found by bisection. The scrape
thread copies the counts while the loop may be adding to them, so a scrape can show a sum one
observation ahead of its counts; the next scrape is exact again.
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections.abc import Iterator, Sequence

from prometheus_client.core import REGISTRY, HistogramMetricFamily
from prometheus_client.registry import CollectorRegistry


class Series:
    """One label combination's buckets (the last is +Inf) and sum."""

    __slots__ = ("_bounds", "counts", "total")

    def __init__(self, bounds: Sequence[float]) -> None:
        self._bounds = bounds
        self.counts = [0] * (len(bounds) + 1)
        self.total = 0.0

    def observe(self, value: float) -> None:
        # `le` buckets are inclusive: the first bound not below the value.
        self.counts[bisect_left(self._bounds, value)] += 1
        self.total += value


class LoopHistogram:
    """A labelled histogram family, exposed like prometheus_client's (`_bucket`, `_count`,
    `_sum`), to be observed from one thread."""

    def __init__(
        self,
        name: str,
        documentation: str,
        labelnames: Sequence[str],
        buckets: Sequence[float],
        registry: CollectorRegistry | None = REGISTRY,
    ) -> None:
        if list(buckets) != sorted(set(buckets)) or not buckets or math.isinf(buckets[-1]):
            raise ValueError(f"{name}: buckets must be finite, distinct and increasing")
        self._name = name
        self._documentation = documentation
        self._labelnames = tuple(labelnames)
        self._bounds = tuple(float(b) for b in buckets)
        self._series: dict[tuple[str, ...], Series] = {}
        if registry is not None:
            registry.register(self)

    def labels(self, *values: str) -> Series:
        """The series of these label values (resolve once, keep it: lookups cost)."""
        if len(values) != len(self._labelnames):
            raise ValueError(f"{self._name}: expected labels {self._labelnames}, got {values}")
        series = self._series.get(values)
        if series is None:
            series = self._series[values] = Series(self._bounds)
        return series

    def collect(self) -> Iterator[HistogramMetricFamily]:
        family = HistogramMetricFamily(self._name, self._documentation, labels=self._labelnames)
        for values, series in list(self._series.items()):
            counts, total = list(series.counts), series.total
            cumulative, buckets = 0, []
            for bound, count in zip((*self._bounds, math.inf), counts, strict=True):
                cumulative += count
                buckets.append((_bound_text(bound), float(cumulative)))
            family.add_metric(list(values), buckets, total)
        yield family


def _bound_text(bound: float) -> str:
    return "+Inf" if math.isinf(bound) else repr(bound)
