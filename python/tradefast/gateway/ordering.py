"""Each inquiry's states in version order, for the clients of the original format.

The gateway consumes the three stage topics independently, so a later state of an inquiry can
arrive before an earlier one (POSITION_ENRICHED before NEW: tests/compat/test_original_browser.py
missed states that way at 50 inquiries/s before this). The original system had one topic. A
state whose predecessor has not been passed on yet waits for it, at most `patience` seconds;
then it goes on alone (the predecessor never came: it was consumed before the first original
client connected, or its producer skips versions). A state not newer than one already passed on
is left out: a replay, or a predecessor that came after its successors stopped waiting.
"""

from __future__ import annotations

from collections import OrderedDict, deque
from collections.abc import Iterable


class StateOrder:
    """`offer` each consumed state; what may go out now is appended to `out`, in order."""

    def __init__(
        self, capacity: int, patience: float, known: Iterable[tuple[int, int]] = ()
    ) -> None:
        """`capacity`: inquiries whose last passed-on version is remembered (the oldest are
        forgotten first); `known`: (id, version) already passed on, or seen before starting."""
        self._capacity = capacity
        self._patience = patience
        self._last: OrderedDict[int, int] = OrderedDict()
        for inquiry_id, version in known:
            self._passed(inquiry_id, version)
        # inquiry id -> (its deadline, the states waiting by version)
        self._waiting: dict[int, tuple[float, dict[int, bytes]]] = {}
        # (deadline, inquiry id) in the order they started waiting, so by deadline.
        self._deadlines: deque[tuple[float, int]] = deque()

    def offer(
        self, inquiry_id: int, version: int, value: bytes, now: float, out: list[bytes]
    ) -> None:
        last = self._last.get(inquiry_id)
        if last is not None and version <= last:
            return
        # Next in line: the one after the last passed on, or a first state (tradefast's start
        # at version 1; 0 when a producer sets none).
        if (version <= 1) if last is None else (version == last + 1):
            out.append(value)
            self._passed(inquiry_id, version)
            if inquiry_id in self._waiting:
                self._release_following(inquiry_id, out)
            return
        waiting = self._waiting.get(inquiry_id)
        if waiting is None:
            deadline = now + self._patience
            waiting = self._waiting[inquiry_id] = (deadline, {})
            self._deadlines.append((deadline, inquiry_id))
        waiting[1].setdefault(version, value)

    def expire(self, now: float, out: list[bytes]) -> None:
        """Let the states that waited `patience` go on, in version order."""
        deadlines = self._deadlines
        while deadlines and deadlines[0][0] <= now:
            deadline, inquiry_id = deadlines.popleft()
            waiting = self._waiting.get(inquiry_id)
            if waiting is None or waiting[0] != deadline:
                continue  # it stopped waiting (and may wait again, with a later deadline)
            del self._waiting[inquiry_id]
            states = waiting[1]
            out.extend(states[version] for version in sorted(states))
            self._passed(inquiry_id, max(states))

    def next_deadline(self) -> float | None:
        """When the first waiting state stops waiting; None when none waits."""
        deadlines = self._deadlines
        while deadlines:
            deadline, inquiry_id = deadlines[0]
            waiting = self._waiting.get(inquiry_id)
            if waiting is not None and waiting[0] == deadline:
                return deadline
            deadlines.popleft()
        return None

    def _release_following(self, inquiry_id: int, out: list[bytes]) -> None:
        """After a state went on: its waiting successors that now follow without a gap."""
        _, states = self._waiting[inquiry_id]
        last = self._last[inquiry_id]
        while (value := states.pop(last + 1, None)) is not None:
            out.append(value)
            last += 1
        self._passed(inquiry_id, last)
        if not states:
            del self._waiting[inquiry_id]

    def _passed(self, inquiry_id: int, version: int) -> None:
        last = self._last
        if inquiry_id not in last and len(last) >= self._capacity:
            last.popitem(last=False)
        last[inquiry_id] = version
