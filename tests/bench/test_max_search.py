"""The max-rate search starts low and doubles until a step fails (or halves until one passes),
then narrows the gap by halving, then holds the rate found for a longer step."""

from __future__ import annotations

from typing import Any

from tradefast.bench.max import passes, search


class FakeBench:
    """Sustains up to `limit` per second (`held_limit` for steps longer than 8 s): above it,
    latency blows up."""

    def __init__(self, limit: float, held_limit: float | None = None) -> None:
        self.limit = limit
        self.held_limit = limit if held_limit is None else held_limit
        self.offered: list[float] = []
        self.held: list[float] = []

    def step(self, rate: float, duration: float, warmup: float) -> dict[str, Any]:
        long = duration > 8.0
        (self.held if long else self.offered).append(rate)
        p99 = 5_000.0 if rate <= (self.held_limit if long else self.limit) else 900_000.0
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
            "cost": {
                "cpu_us_per_inquiry": {"total": 100.0},
                "kafka_requests": {
                    "per_second": {"total": 10.0},
                    "per_inquiry": {"total": 1.0},
                    "by_type_per_inquiry": {},
                },
            },
        }


def test_climbs_by_doubling_then_halves_the_gap() -> None:
    bench = FakeBench(limit=23_000)
    found = search(bench, 1_000, 8.0, 2.0, refinements=3, report=lambda _line: None)
    assert bench.offered == [1_000, 2_000, 4_000, 8_000, 16_000, 32_000, 24_000, 20_000, 22_000]
    assert bench.held == [22_000]
    assert found["max_rate"] == 22_000
    assert [s["passed"] for s in found["steps"]] == [True] * 5 + [False, False, True, True, True]
    assert [s["confirming"] for s in found["steps"]] == [False] * 9 + [True]


def test_a_slow_machine_gets_its_real_maximum_not_zero() -> None:
    bench = FakeBench(limit=1_300)
    found = search(bench, 1_000, 8.0, 2.0, report=lambda _line: None)
    assert bench.offered == [1_000, 2_000, 1_500, 1_250, 1_375]
    assert found["max_rate"] == 1_250


def test_a_failing_start_rate_halves_until_a_step_passes() -> None:
    bench = FakeBench(limit=300)
    found = search(bench, 1_000, 8.0, 2.0, report=lambda _line: None)
    assert bench.offered == [1_000, 500, 250, 375, 312, 281]
    assert found["max_rate"] == 281


def test_the_top_rate_ends_the_climb() -> None:
    bench = FakeBench(limit=1e9)
    found = search(bench, 25_000, 8.0, 2.0, report=lambda _line: None)
    assert bench.offered == [25_000, 50_000, 100_000]
    assert found["max_rate"] == 100_000


def test_a_broken_pipeline_reports_zero() -> None:
    bench = FakeBench(limit=0)
    found = search(bench, 1_000, 8.0, 2.0, report=lambda _line: None)
    assert bench.offered[-1] < 20
    assert bench.held == []
    assert found["max_rate"] == 0


def test_a_lucky_short_step_is_not_reported() -> None:
    # 22,000/s passes 8 s steps but not 24 s ones; 16,000/s holds.
    bench = FakeBench(limit=23_000, held_limit=20_000)
    found = search(bench, 1_000, 8.0, 2.0, refinements=3, report=lambda _line: None)
    # Then the gap to the rate that did not hold is halved twice, with long steps.
    assert bench.held == [22_000, 20_000, 21_000, 20_500]
    assert found["short_step_max_rate"] == 22_000
    assert found["max_rate"] == 20_000
    assert found["confirm_duration_s"] == 24.0


def test_below_every_short_pass_the_held_rate_halves() -> None:
    bench = FakeBench(limit=1_300, held_limit=400)
    found = search(bench, 1_000, 8.0, 2.0, report=lambda _line: None)
    assert bench.held == [1_250, 1_000, 500, 250, 375, 438]
    assert found["max_rate"] == 375


def test_a_held_rate_is_narrowed_towards_the_one_above_it() -> None:
    # As in the last make bench: 24,000/s and 16,000/s pass short steps but do not hold; the
    # rate that holds lies between 8,000/s (the next short pass) and 16,000/s.
    bench = FakeBench(limit=25_000, held_limit=13_000)
    found = search(bench, 1_000, 8.0, 2.0, refinements=3, report=lambda _line: None)
    assert bench.held == [24_000, 16_000, 8_000, 12_000, 14_000]
    assert found["max_rate"] == 12_000
    assert [s["confirming"] for s in found["steps"]][-5:] == [True] * 5


def test_a_step_fails_on_loss_or_a_growing_tail() -> None:
    good = FakeBench(limit=1e9).step(1_000, 1.0, 0.0)
    assert passes(good)
    assert not passes({**good, "lost": 1})
    assert not passes({**good, "tail_p99_us": 150_000.0})
