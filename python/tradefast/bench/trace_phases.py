"""Where the page's main thread spends its time, from a DevTools trace: the self time of each
event name (its duration less that of the events nested in it), so the phases of a frame (script,
style, layout, paint, commit ...) add up to the thread's busy time without counting twice."""

from __future__ import annotations

from collections import Counter
from typing import Any

# The events DevTools' Performance panel is built on: script, style, layout, paint and commit
# phases, message and timer handlers, garbage collection.
CATEGORIES = ["devtools.timeline", "disabled-by-default-devtools.timeline"]


def self_times(events: list[dict[str, Any]], thread: tuple[int, int]) -> Counter[str]:
    """Wall ms of self time by event name, over the complete (`X`) events of `thread`."""
    spans = sorted(
        (e["ts"], -e.get("dur", 0), e.get("dur", 0), e["name"])
        for e in events
        if e.get("ph") == "X" and (e.get("pid"), e.get("tid")) == thread and "ts" in e
    )
    totals: Counter[str] = Counter()
    # The enclosing events of the current one: (end, name).
    open_spans: list[tuple[float, str]] = []
    for start, _, duration, name in spans:
        while open_spans and open_spans[-1][0] <= start:
            open_spans.pop()
        if open_spans:
            totals[open_spans[-1][1]] -= duration / 1000
        totals[name] += duration / 1000
        open_spans.append((start + duration, name))
    return totals
