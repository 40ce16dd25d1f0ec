"""`tradefast bench max`: the highest offered rate the pipeline sustains, found by stepping the
rate up on one running pipeline until a step fails, then halving the gap to the last passing
rate three times.

A step passes when nothing is lost (every inquiry reaches the client within the drain time), the
end-to-end p99 is under the limit (default 100 ms) and so is the p99 of the last fifth of the
step's inquiries: a lag that grows during the step shows there even when the step is short.
"""

from __future__ import annotations

import argparse
import json
import sys
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
from tradefast.infra.errors import InfraError

P99_LIMIT_US = 100_000.0
MAX_OFFERED = 100_000.0
# After the first failing step, halve the gap to the last passing rate this many times.
REFINEMENTS = 3


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
    step: float,
    duration: float,
    warmup: float,
    refinements: int = REFINEMENTS,
    report: Callable[[str], None] = print,
) -> dict[str, Any]:
    """Offer start, start + step, ... until a step fails (or MAX_OFFERED), then halve the gap
    between the best passing and the failing rate `refinements` times; the figures."""
    steps: list[dict[str, Any]] = []

    def attempt(rate: float) -> bool:
        figures = bench.step(rate, duration, warmup)
        ok = passes(figures)
        report(("pass " if ok else "FAIL ") + describe(figures))
        steps.append({**figures, "passed": ok})
        return ok

    best: float = 0.0
    failed: float | None = None
    rate = start
    while rate <= MAX_OFFERED:
        if not attempt(rate):
            failed = rate
            break
        best = rate
        rate += step
    if failed is not None:
        for _ in range(refinements):
            middle = float(round((best + failed) / 2))
            if attempt(middle):
                best = middle
            else:
                failed = middle
    return {
        "max_rate": best,
        "p99_limit_us": P99_LIMIT_US,
        "step_duration_s": duration,
        "steps": steps,
    }


def register(actions: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = actions.add_parser(
        "max", help="the highest rate with p99 under 100 ms and no growing lag, by stepping"
    )
    add_load_arguments(parser, duration=8.0)
    parser.add_argument("--start", type=float, default=10_000.0, help="first rate (default 10000)")
    parser.add_argument("--step", type=float, default=10_000.0, help="rate step (default 10000)")
    parser.add_argument("--json", type=Path, metavar="FILE", help="also write the figures here")
    parser.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    if not (1 <= args.start <= MAX_OFFERED and args.step > 0):
        print("tradefast bench max: --start must be 1..100000 and --step > 0", file=sys.stderr)
        return 2
    try:
        settings = config.load()
        core = args.core or settings.core
        with servers_for(settings), running_bench(settings, core) as bench:
            found = search(bench, args.start, args.step, args.duration, args.warmup)
    except (BenchError, InfraError, config.ConfigError, OSError) as exc:
        print(f"tradefast bench max: {exc}", file=sys.stderr)
        return 1
    print(f"max sustained rate: {found['max_rate']:.0f} inquiries/s ({core} core)")
    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(found, indent=2) + "\n")
    return 0
