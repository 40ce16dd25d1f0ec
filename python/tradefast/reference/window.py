"""The gateway's memory of recent inquiries (specification of `InquiryWindow` in `_core.pyi`):
the latest version of each of the most recent `capacity` inquiries, for snapshots, and the
updates not sent yet, conflated by id (the highest version wins)."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence

from tradefast.core_types import CoreError

# (version, encoded Inquiry): the version decides which of two updates of one inquiry wins.
Versioned = tuple[int, bytes]


class InquiryWindow:
    def __init__(self, capacity: int) -> None:
        if capacity < 1:
            raise ValueError("the inquiry window needs room for at least one inquiry")
        self._capacity = capacity
        # Ordered by first arrival, which follows the ids (generators hand them out in
        # increasing order): the first is the one evicted.
        self._latest: OrderedDict[int, Versioned] = OrderedDict()
        self._pending: dict[int, Versioned] = {}

    def offer(
        self,
        values: Sequence[bytes],
        indexes: Sequence[int],
        ids: Sequence[int],
        versions: Sequence[int],
    ) -> int:
        """Offer `values[indexes[i]]` as version `versions[i]` of inquiry `ids[i]`, in order;
        returns how many were kept."""
        if not len(indexes) == len(ids) == len(versions):
            raise CoreError(
                "indexes, ids and versions differ in length: "
                f"{len(indexes)}, {len(ids)}, {len(versions)}"
            )
        kept = 0
        for index, inquiry_id, version in zip(indexes, ids, versions, strict=True):
            if not 0 <= index < len(values):
                raise CoreError(f"index {index} is outside the {len(values)} values")
            if self._offer(inquiry_id, version, values[index]):
                kept += 1
        return kept

    def _offer(self, inquiry_id: int, version: int, encoded: bytes) -> bool:
        held = self._latest.get(inquiry_id)
        if held is not None and held[0] >= version:
            return False
        self._latest[inquiry_id] = (version, encoded)
        if held is None and len(self._latest) > self._capacity:
            self._latest.popitem(last=False)
        pending = self._pending.get(inquiry_id)
        if pending is None or pending[0] < version:
            self._pending[inquiry_id] = (version, encoded)
        return True

    def pending_count(self) -> int:
        return len(self._pending)

    def take_pending(self) -> tuple[list[int], list[int], list[bytes]]:
        """The pending updates by increasing id as (ids, versions, encoded), leaving none."""
        taken = sorted(self._pending.items())
        self._pending = {}
        return (
            [inquiry_id for inquiry_id, _ in taken],
            [version for _, (version, _) in taken],
            [encoded for _, (_, encoded) in taken],
        )

    def snapshot(self) -> list[bytes]:
        """The held inquiries by increasing id."""
        return [self._latest[i][1] for i in sorted(self._latest)]

    def versions(self) -> list[tuple[int, int]]:
        """(inquiry id, latest version) of the held inquiries, by first arrival."""
        return [(inquiry_id, held[0]) for inquiry_id, held in self._latest.items()]

    def __len__(self) -> int:
        return len(self._latest)
