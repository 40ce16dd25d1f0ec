"""A WebSocket client of the gateway that keeps what a dashboard would show: every final update
(DONE / NOT_DONE) in arrival order, and the latest position of each key."""

from __future__ import annotations

from picows import WSFrame, WSListener, WSMsgType, WSTransport, ws_connect

from tradefast.gateway.access import BATCH_PROTOCOL
from tradefast.proto.tradefast_pb2 import Inquiry, InquiryBatch, Position, Status

FINAL = (Status.DONE, Status.NOT_DONE)


class FeedRecorder(WSListener):
    def __init__(self) -> None:
        super().__init__()
        self.frames = 0
        self.snapshot_first = False
        self.finals: list[Inquiry] = []
        self.positions: dict[str, Position] = {}
        self.closed = False

    def on_ws_frame(self, transport: WSTransport, frame: WSFrame) -> None:
        if frame.msg_type == WSMsgType.CLOSE:
            transport.disconnect()
            return
        if frame.msg_type != WSMsgType.BINARY:
            return
        batch = InquiryBatch.FromString(frame.get_payload_as_bytes())
        if self.frames == 0:
            self.snapshot_first = batch.snapshot
        self.frames += 1
        self.finals.extend(i for i in batch.inquiries if i.status in FINAL)
        for position in batch.positions:
            self.positions[f"{position.book_id}|{position.instrument_id}"] = position

    def on_ws_disconnected(self, transport: WSTransport) -> None:
        self.closed = True

    def final_ids(self) -> set[int]:
        return {i.inquiry_id for i in self.finals}


async def connect(url: str) -> tuple[WSTransport, FeedRecorder]:
    transport, listener = await ws_connect(
        FeedRecorder, url, extra_headers={"Sec-WebSocket-Protocol": BATCH_PROTOCOL}
    )
    if not isinstance(listener, FeedRecorder):
        raise TypeError("picows returned another listener type")
    return transport, listener
