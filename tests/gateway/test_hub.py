"""The hub's fan-out without a network: shared frames for clients that keep up, a conflated
backlog for one that does not, and the close once that backlog is over its limit; for clients of
the original format, every update in order, one Inquiry per frame, and the close once their
queue is over the limit."""

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


class FakeOriginal:
    """A client of the original format whose socket is full while `held` is not None."""

    def __init__(self) -> None:
        self.stream = b""
        self.held: int | None = None
        self.closed_slow = False
        self.closed_going_away = False

    def send_frames(self, frames: bytes, count: int) -> int:
        if self.held is None:
            self.stream += frames
            return 0
        self.held += count
        return self.held

    def close_slow(self) -> None:
        self.closed_slow = True

    def close_going_away(self) -> None:
        self.closed_going_away = True

    def inquiries(self) -> list[tuple[int, int]]:
        """(id, version) of each frame's Inquiry, in order."""
        seen, stream = [], self.stream
        while stream:
            assert stream[0] == 0x82 and stream[1] < 126, "one small binary frame each"
            inquiry = Inquiry.FromString(stream[2 : 2 + stream[1]])
            seen.append((inquiry.inquiry_id, inquiry.version))
            stream = stream[2 + stream[1] :]
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


def test_original_format_gets_every_update_in_order() -> None:
    async def scenario() -> None:
        hub = Hub(load("rust"), HubLimits(client_backlog=3))
        hub.set_positions({"B|I": Position(book_id="B", instrument_id="I").SerializeToString()})
        batched, original, slow = FakeClient(), FakeOriginal(), FakeOriginal()
        hub.attach(batched)
        hub.attach_original(original)
        hub.attach_original(slow)
        assert hub.client_count == 3
        assert original.stream == b"", "no snapshot in the original format"

        hub.on_values([encoded(1), encoded(1, 2), encoded(2), b"\xff\xff", encoded(1, 3, DONE)])
        # Not news: an older version arriving late, the same version again (a replay).
        hub.on_values([encoded(1, 2), encoded(2), encoded(2, 2)])
        expected = [(1, 1), (1, 2), (2, 1), (1, 3), (2, 2)]
        assert original.inquiries() == slow.inquiries() == expected
        hub.flush()
        assert batched.versions() == {1: 3, 2: 2}

        slow.held = 0
        hub.on_values([encoded(3), encoded(4)])
        assert not slow.closed_slow, "2 held, the limit is 3"
        hub.on_values([encoded(5), encoded(6)])
        assert slow.closed_slow and hub.client_count == 2
        hub.on_values([encoded(7)])
        assert original.inquiries()[len(expected) :] == [(i, 1) for i in range(3, 8)]

        hub.close_all()
        assert original.closed_going_away and hub.client_count == 0

    asyncio.run(scenario())


def test_a_batch_goes_out_on_the_next_loop_turn_unless_an_interval_is_set() -> None:
    async def scenario() -> None:
        # Default limits: what a batch brought goes out once the loop gets to it, no timer.
        hub, client = Hub(load("rust"), HubLimits()), FakeClient()
        hub.attach(client)
        hub.on_values([encoded(1), encoded(2)])
        await asyncio.sleep(0)
        assert client.versions() == {1: 1, 2: 1} and len(client.frames) == 2  # snapshot + batch
        hub.on_values([encoded(1, 2)])
        await asyncio.sleep(0)
        assert client.versions()[1] == 2

        # With an interval, a batch right after a flush waits for the rest of the interval, and
        # what arrives meanwhile is conflated into the same frame.
        paced, slow = Hub(load("rust"), HubLimits(flush_interval=0.2)), FakeClient()
        paced.attach(slow)
        paced.on_values([encoded(3)])
        await asyncio.sleep(0)
        assert slow.versions() == {3: 1}
        paced.on_values([encoded(3, 2)])
        paced.on_values([encoded(3, 3), encoded(4)])
        await asyncio.sleep(0.05)
        assert slow.versions() == {3: 1}
        await asyncio.sleep(0.3)
        assert slow.versions() == {3: 3, 4: 1} and len(slow.frames) == 3

    asyncio.run(scenario())
