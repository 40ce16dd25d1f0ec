"""The max-rate search steps up until a step fails, then narrows the gap by halving."""

from __future__ import annotations

from typing import Any

from tradefast.bench.max import passes, search


class FakeBench:
    """Sustains up to `limit` per second: above it, latency blows up."""

    def __init__(self, limit: float) -> None:
        self.limit = limit
        self.offered: list[float] = []

    def step(self, rate: float, duration: float, warmup: float) -> dict[str, Any]:
        self.offered.append(rate)
        p99 = 5_000.0 if rate <= self.limit else 900_000.0
        return {
            "core": "rust",
            "rate_target": rate,
            "rate_achieved": rate,
            "sent": int(rate * duration),
            "lost": 0,
            "p50_us": 1_000.0,
            "p90_us": 2_000.0,
            "p99_us": p99,
            "p999_us": p99,
            "max_us": p99,
            "tail_p99_us": p99,
            "stages": {},
            "cpu": {},
        }


def test_steps_up_then_halves_the_gap() -> None:
    bench = FakeBench(limit=23_000)
    found = search(bench, 10_000, 10_000, 8.0, 2.0, refinements=2, report=lambda _line: None)
    assert bench.offered == [10_000, 20_000, 30_000, 25_000, 22_500]
    assert found["max_rate"] == 22_500
    assert [s["passed"] for s in found["steps"]] == [True, True, False, False, True]


def test_a_first_failing_step_still_narrows_down() -> None:
    bench = FakeBench(limit=6_000)
    found = search(bench, 10_000, 10_000, 8.0, 2.0, report=lambda _line: None)
    assert bench.offered == [10_000, 5_000, 7_500, 6_250]
    assert found["max_rate"] == 5_000


def test_a_step_fails_on_loss_or_a_growing_tail() -> None:
    good = FakeBench(limit=1e9).step(1_000, 1.0, 0.0)
    assert passes(good)
    assert not passes({**good, "lost": 1})
    assert not passes({**good, "tail_p99_us": 150_000.0})
