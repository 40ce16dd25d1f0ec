"""Is the gateway's feed moving? The feed loop beats on every turn, idle turns included (each
consume call returns within its wait), so a beat older than a few waits means a stuck loop, not
a quiet topic: /healthz then answers 503, and past a longer limit the gateway gives up."""

from __future__ import annotations

import time


class FeedStalled(RuntimeError):
    """The feed loop made no progress for longer than the gateway tolerates."""


class FeedHeartbeat:
    def __init__(self, stale_after: float) -> None:
        self._stale_after = stale_after
        self._last: float | None = None

    def beat(self) -> None:
        self._last = time.monotonic()

    def age(self) -> float | None:
        """Seconds since the last beat; None before the first."""
        return None if self._last is None else time.monotonic() - self._last

    def problem(self) -> str | None:
        """Why the gateway is not ready, or None when it is."""
        age = self.age()
        if age is None:
            return "starting"
        if age > self._stale_after:
            return f"feed stalled: no progress for {age:.1f} s"
        return None
