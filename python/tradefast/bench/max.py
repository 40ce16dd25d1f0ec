"""`tradefast bench max`: the highest offered rate the pipeline sustains, found on one running
pipeline by starting low and climbing: the rate doubles from the start rate (default 1,000/s)
while steps pass; after the first failing step the gap to the last passing rate is halved three
times. If the start rate already fails, the rate halves until a step passes, then the same
narrowing follows, so a slow machine still gets its real maximum, never 0 when 1,000/s holds.

A step passes when nothing is lost (every inquiry reaches the client within the drain time), the
end-to-end p99 is under the limit (default 100 ms) and so is the p99 of the last fifth of the
step's inquiries: a lag that grows during the step shows there even when the step is short.

One short step can pass by luck on a noisy machine, so the rate found is then held for a step
three times as long; if that fails, the next lower rate that passed is held instead, and so on
(halving below the lowest); the gap between the rate that held and the one above it that did not
is then halved twice with long steps too. The rate reported is the highest one that held for the
long step.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from tradefast import config
from tradefast.bench.e2e import (
    BenchError,
    add_load_arguments,
    describe,
    running_bench,
    servers_for,
)

P99_LIMIT_US = 100_000.0
MAX_OFFERED = 100_000.0
START_RATE = 1_000.0
# Below this a pipeline is broken, not slow: the search stops halving and reports 0.
MIN_RATE = 10.0
# After the first failing step, halve the gap to the last passing rate this many times.
REFINEMENTS = 3
# The confirming step lasts this many times a search step.
CONFIRM_FACTOR = 3.0
# Halve the gap between the rate that held and the lowest that did not this many times.
HELD_REFINEMENTS = 2


class Stepper(Protocol):
    """What the search needs of a running bench (e2e.Bench)."""

    def step(self, rate: float, duration: float, warmup: float) -> dict[str, Any]: ...


def passes(figures: dict[str, Any], p99_limit_us: float = P99_LIMIT_US) -> bool:
    return bool(
        figures["lost"] == 0
        and figures["p99_us"] < p99_limit_us
        and figures["tail_p99_us"] < p99_limit_us
    )


def search(
    bench: Stepper,
    start: float,
    duration: float,
    warmup: float,
    refinements: int = REFINEMENTS,
    report: Callable[[str], None] = print,
) -> dict[str, Any]:
    """Double the rate from `start` while steps pass (up to MAX_OFFERED), or halve it while they
    fail (down to MIN_RATE); then halve the gap between the best passing and the lowest failing
    rate `refinements` times; then hold the best passing rate for a step CONFIRM_FACTOR times as
    long (see `_confirm`). The figures of every step and the highest rate that held."""
    steps: list[dict[str, Any]] = []

    def attempt(rate: float, length: float = duration) -> bool:
        figures = bench.step(rate, length, warmup)
        ok = passes(figures)
        confirming = length != duration
        held = f"(held {length:g} s) " if confirming else ""
        report(("pass " if ok else "FAIL ") + held + describe(figures))
        steps.append({**figures, "passed": ok, "confirming": confirming})
        return ok

    best, failed = _bracket(attempt, start)
    best = _narrow(attempt, best, failed, refinements)
    passed = sorted({s["rate_target"] for s in steps if s["passed"]}, reverse=True)
    confirm_duration = duration * CONFIRM_FACTOR

    def hold(rate: float) -> bool:
        return attempt(rate, confirm_duration)

    held, not_held = _confirm(hold, passed)
    held = _narrow(hold, held, not_held, HELD_REFINEMENTS)
    return {
        "max_rate": held,
        "short_step_max_rate": best,
        "p99_limit_us": P99_LIMIT_US,
        "step_duration_s": duration,
        "confirm_duration_s": confirm_duration,
        "start_rate": start,
        "steps": steps,
    }


def _confirm(hold: Callable[[float], bool], passed: list[float]) -> tuple[float, float | None]:
    """The first of the rates that passed a short step (highest first) that also `hold`s for a
    long one, below the lowest of them halving down to MIN_RATE (0.0 if none holds); and the
    rate tried just above it, which did not hold (None: the first one held)."""
    not_held = None
    for rate in passed:
        if hold(rate):
            return rate, not_held
        not_held = rate
    return _halving(hold, passed[-1]) if passed else (0.0, None)


def _narrow(
    attempt: Callable[[float], bool], best: float, failed: float | None, times: int
) -> float:
    """Halve the gap between the passing rate `best` and the failing `failed` above it up to
    `times` times; the highest rate that passed."""
    if failed is None or best <= 0:
        return best
    for _ in range(times):
        middle = float(round((best + failed) / 2))
        if middle in (best, failed):
            break
        if attempt(middle):
            best = middle
        else:
            failed = middle
    return best


def _bracket(attempt: Callable[[float], bool], start: float) -> tuple[float, float | None]:
    """The best passing rate (0.0: none) and the lowest failing one (None: none up to the top)."""
    if attempt(start):
        best, rate = start, start
        while rate < MAX_OFFERED:
            rate = min(rate * 2, MAX_OFFERED)
            if not attempt(rate):
                return best, rate
            best = rate
        return best, None
    return _halving(attempt, start)


def _halving(attempt: Callable[[float], bool], failed: float) -> tuple[float, float]:
    """The first of `failed` / 2, / 4, ... (down to MIN_RATE) that passes (0.0 if none), and
    the rate tried just before it, which failed."""
    rate = failed / 2
    while rate >= MIN_RATE:
        if attempt(rate):
            return rate, failed
        failed, rate = rate, rate / 2
    return 0.0, failed


def register(actions: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = actions.add_parser(
        "max",
        help="the highest rate with p99 under 100 ms and no growing lag, climbing from 1000/s",
    )
    add_load_arguments(parser, duration=8.0, broker_warmup=20.0)
    parser.add_argument(
        "--start", type=float, default=START_RATE, help="first rate, then doubled (default 1000)"
    )
    parser.add_argument("--json", type=Path, metavar="FILE", help="also write the figures here")
    parser.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    config.within("--start", args.start, MIN_RATE, MAX_OFFERED)
    try:
        settings = config.load(flags=args)
        core = settings.core
        with servers_for(settings), running_bench(settings, core) as bench:
            bench.warm_up(args.broker_warmup, args.broker_warmup_rate)
            found = search(bench, args.start, args.duration, args.warmup)
    except OSError as exc:
        raise BenchError(str(exc)) from exc
    print(
        f"max sustained rate: {found['max_rate']:.0f} inquiries/s ({core} core), held for "
        f"{found['confirm_duration_s']:g} s; best short step {found['short_step_max_rate']:.0f}/s"
    )
    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(found, indent=2) + "\n")
    return 0
