"""Compare two `make bench` results: `python bench/compare.py OLD.json NEW.json`.

Prints, for each end-to-end run present in both (by core and offered rate), p50 and p99 before and
after and their ratio, and where both sets have them the CPU µs and Kafka requests per inquiry,
then the max sustained rate; so a change can be judged against a committed results set on the
same machine (or, through the calibration, on another).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any


def _runs(results: dict[str, Any]) -> dict[tuple[str, float], dict[str, Any]]:
    return {(run["core"], run["rate_target"]): run for run in results["e2e"]}


def compare(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    lines = [f"{'run':<22} {'p50 ms old → new':>24} {'p99 ms old → new':>24}"]
    before, after = _runs(old), _runs(new)
    for key in sorted(before.keys() & after.keys()):
        a, b = before[key], after[key]
        cells = [
            f"{a[f] / 1000:9.2f} → {b[f] / 1000:8.2f} ({b[f] / max(a[f], 1):4.2f}x)"
            for f in ("p50_us", "p99_us")
        ]
        lines.append(f"{key[0] + ' ' + format(key[1], ',.0f') + '/s':<22} {cells[0]} {cells[1]}")
        if "cost" in a and "cost" in b:
            lines.append(f"{'':<22} {_cost_change(a['cost'], b['cost'])}")
    lines.append(
        f"max sustained rate: {old['max']['max_rate']:,.0f}/s → {new['max']['max_rate']:,.0f}/s"
    )
    return lines


def _cost_change(old: dict[str, Any], new: dict[str, Any]) -> str:
    cpu = [c["cpu_us_per_inquiry"]["total"] for c in (old, new)]
    requests = [c["kafka_requests"]["per_inquiry"]["total"] for c in (old, new)]
    return (
        f"CPU µs/inquiry {cpu[0]:,.0f} → {cpu[1]:,.0f} ({cpu[1] / max(cpu[0], 1e-9):4.2f}x), "
        f"Kafka requests/inquiry {requests[0]:.2f} → {requests[1]:.2f}"
    )


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: python bench/compare.py OLD.json NEW.json", file=sys.stderr)
        return 2
    try:
        old, new = (json.loads(Path(path).read_text()) for path in argv)
        print("\n".join(compare(old, new)))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        print(f"compare: cannot read the results: {exc!r}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
