"""The hub's fan-out without a network: shared frames for clients that keep up, a conflated
backlog for one that does not, and the close once that backlog is over its limit."""

from __future__ import annotations

import asyncio

from tradefast.core import load
from tradefast.gateway.hub import Hub, HubLimits
from tradefast.gateway.state import PendingUpdates
from tradefast.proto.tradefast_pb2 import DONE, Inquiry, InquiryBatch, Position, Status


class FakeClient:
    def __init__(self) -> None:
        self.backlog = PendingUpdates()
        self.buffered = 0
        self.frames: list[InquiryBatch] = []
        self.closed_slow = False
        self.closed_going_away = False

    def buffered_bytes(self) -> int:
        return self.buffered

    def send_frame(self, frame: bytes) -> None:
        self.frames.append(InquiryBatch.FromString(frame))

    def close_slow(self) -> None:
        self.closed_slow = True

    def close_going_away(self) -> None:
        self.closed_going_away = True

    def versions(self) -> dict[int, int]:
        seen: dict[int, int] = {}
        for batch in self.frames:
            for inquiry in batch.inquiries:
                seen[inquiry.inquiry_id] = max(seen.get(inquiry.inquiry_id, 0), inquiry.version)
        return seen


def encoded(inquiry_id: int, version: int = 1, status: Status.ValueType = Status.NEW) -> bytes:
    return Inquiry(
        inquiry_id=inquiry_id, book_id="B", instrument_id="I", version=version, status=status
    ).SerializeToString()


def test_fan_out_conflation_and_slow_client() -> None:
    async def scenario() -> None:
        hub = Hub(load("reference"), HubLimits(client_buffer=1000, client_backlog=3))
        hub.set_positions({"B|I": Position(book_id="B", instrument_id="I").SerializeToString()})
        fast, slow = FakeClient(), FakeClient()
        hub.attach(fast)
        hub.attach(slow)
        assert fast.frames[0].snapshot and len(fast.frames[0].positions) == 1

        assert not hub.on_values([encoded(1), encoded(1, 2), encoded(2), b"\xff\xff"])
        hub.flush()
        assert fast.versions() == {1: 2, 2: 1}
        assert [len(b.inquiries) for b in fast.frames[1:]] == [2]

        slow.buffered = 5000  # over its limit: nothing more is written to it
        assert hub.on_values([encoded(1, 3, DONE), encoded(3)])
        hub.flush()
        assert fast.versions() == {1: 3, 2: 1, 3: 1}
        assert slow.versions() == {1: 2, 2: 1}
        assert set(slow.backlog.inquiries) == {1, 3}

        slow.buffered = 0  # drained: the backlog goes out, conflated
        hub.flush()
        assert slow.versions() == {1: 3, 2: 1, 3: 1}
        assert not slow.backlog

        slow.buffered = 5000
        hub.on_values([encoded(i) for i in range(10, 15)])
        hub.flush()
        assert slow.closed_slow
        assert hub.client_count == 1
        assert fast.versions().keys() >= set(range(10, 15))

        hub.close_all()
        assert fast.closed_going_away and hub.client_count == 0

    asyncio.run(scenario())
