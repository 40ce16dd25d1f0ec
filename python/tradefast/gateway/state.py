"""What the gateway remembers: the latest version of recent inquiries and every position."""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field

# (version, encoded Inquiry): the version decides which of two updates of one inquiry wins.
Versioned = tuple[int, bytes]


class InquiryWindow:
    """The latest version of the most recent `capacity` inquiries, for snapshots.

    Inquiries are evicted in arrival order of their first update, which follows their ids
    because the generators hand ids out in increasing order.
    """

    def __init__(self, capacity: int) -> None:
        if capacity < 1:
            raise ValueError("the inquiry window needs room for at least one inquiry")
        self._capacity = capacity
        # Ordered by first arrival: evicting the oldest is O(1) (a plain dict's first item is
        # found by skipping the holes its deletions leave: O(n) per eviction).
        self._latest: OrderedDict[int, Versioned] = OrderedDict()

    def offer(self, inquiry_id: int, version: int, encoded: bytes) -> bool:
        """Keep `encoded` if it is newer than what the window holds; True if it was kept."""
        held = self._latest.get(inquiry_id)
        if held is not None:
            if held[0] >= version:
                return False
            self._latest[inquiry_id] = (version, encoded)
            return True
        self._latest[inquiry_id] = (version, encoded)
        if len(self._latest) > self._capacity:
            self._latest.popitem(last=False)
        return True

    def versions(self) -> list[tuple[int, int]]:
        """(inquiry id, latest version) of the held inquiries."""
        return [(inquiry_id, held[0]) for inquiry_id, held in self._latest.items()]

    def snapshot(self) -> list[bytes]:
        """The held inquiries, oldest id first."""
        return [self._latest[i][1] for i in sorted(self._latest)]

    def __len__(self) -> int:
        return len(self._latest)


@dataclass
class PendingUpdates:
    """Updates not yet sent, conflated: one entry per inquiry id (highest version) and per key."""

    inquiries: dict[int, Versioned] = field(default_factory=dict)
    positions: dict[str, bytes] = field(default_factory=dict)

    def add_inquiry(self, inquiry_id: int, version: int, encoded: bytes) -> None:
        held = self.inquiries.get(inquiry_id)
        if held is None or held[0] < version:
            self.inquiries[inquiry_id] = (version, encoded)

    def add_position(self, key: str, encoded: bytes) -> None:
        self.positions[key] = encoded

    def merge(self, other: PendingUpdates) -> None:
        for inquiry_id, (version, encoded) in other.inquiries.items():
            self.add_inquiry(inquiry_id, version, encoded)
        self.positions.update(other.positions)

    def encoded(self) -> tuple[list[bytes], list[bytes]]:
        """The encoded inquiries (by id) and positions."""
        return [self.inquiries[i][1] for i in sorted(self.inquiries)], list(self.positions.values())

    def take(self) -> tuple[list[bytes], list[bytes]]:
        """Like `encoded`, leaving this empty."""
        taken = self.encoded()
        self.inquiries = {}
        self.positions = {}
        return taken

    def __bool__(self) -> bool:
        return bool(self.inquiries) or bool(self.positions)
