"""`tradefast bench <name>`: each benchmark module registers its own sub-command here."""

from __future__ import annotations

import argparse
import importlib

# Each module exposes `register(actions)`; it adds its sub-command and sets `func` on it.
BENCHMARK_MODULES = (
    "tradefast.bench.hop",
    "tradefast.bench.e2e",
    "tradefast.bench.max",
    "tradefast.bench.frontier",
    "tradefast.bench.suite",
    "tradefast.bench.record_frames",
    "tradefast.bench.dashboard",
)


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    bench = subparsers.add_parser("bench", help="measure latency and throughput on real servers")
    actions = bench.add_subparsers(dest="bench_name", metavar="BENCHMARK", required=True)
    for name in BENCHMARK_MODULES:
        importlib.import_module(name).register(actions)
