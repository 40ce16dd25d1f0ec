"""The machine a benchmark ran on: its load average, and a short, fixed CPU calibration so that
results from different machines can be compared: the same pure-Python loop and the same SHA-256
hashing, timed by the CPU time they take (best of a few tries, so other processes on the machine
matter little). Faster machine, higher rates.
"""

from __future__ import annotations

import hashlib
import os
import platform
import time
from collections.abc import Callable
from typing import Any

PYTHON_ITERATIONS = 1_000_000
HASH_MIB = 32
TRIES = 3


def _python_loop() -> int:
    # Integer arithmetic, a dict and a list: the kind of work the services do per message.
    seen: dict[int, int] = {}
    items: list[int] = []
    total = 0
    for i in range(PYTHON_ITERATIONS):
        total = (total + i * 7) % 1_000_003
        if i % 16 == 0:
            seen[total] = i
            items.append(total)
    return total + len(seen) + len(items)


def _hashing() -> int:
    block = bytes(range(256)) * 4096  # 1 MiB
    digest = hashlib.sha256()
    for _ in range(HASH_MIB):
        digest.update(block)
    return len(digest.digest())


def _best_cpu_seconds(work: Callable[[], int]) -> float:
    best = float("inf")
    for _ in range(TRIES):
        started = time.process_time()
        work()
        best = min(best, time.process_time() - started)
    return max(best, 1e-9)


def calibrate() -> dict[str, float]:
    """Python loop iterations per µs of CPU and SHA-256 MiB per s of CPU (about a second)."""
    python_s = _best_cpu_seconds(_python_loop)
    hash_s = _best_cpu_seconds(_hashing)
    return {
        "python_loop_per_us": round(PYTHON_ITERATIONS / python_s / 1e6, 2),
        "sha256_mib_per_s": round(HASH_MIB / hash_s, 1),
    }


def host_before() -> dict[str, Any]:
    """The machine before a benchmark: CPUs, Python, load average and the calibration."""
    return {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "loadavg_before": loadavg(),
        "calibration": calibrate(),
    }


def host_after(host: dict[str, Any]) -> dict[str, Any]:
    return {**host, "loadavg_after": loadavg()}


def loadavg() -> list[float]:
    return [round(v, 2) for v in os.getloadavg()]


def describe_host(host: dict[str, Any]) -> str:
    calibration = host["calibration"]
    return (
        f"machine: {host['cpus']} CPUs, load average {host['loadavg_before']}; calibration "
        f"{calibration['python_loop_per_us']} Python loop iterations/µs, "
        f"{calibration['sha256_mib_per_s']} MiB/s SHA-256"
    )
