"""Updates a client has not been sent yet, conflated. (The latest version of recent inquiries,
kept for snapshots, is the core's `InquiryWindow`.)"""

from __future__ import annotations

from dataclasses import dataclass, field

# (version, encoded Inquiry): the version decides which of two updates of one inquiry wins.
Versioned = tuple[int, bytes]


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
