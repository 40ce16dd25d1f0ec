"""A minimal WebSocket client of the gateway for the fault tests: health, live finals, snapshot."""

from __future__ import annotations

import asyncio
import urllib.error
import urllib.request

from picows import WSFrame, WSListener, WSMsgType, WSTransport, ws_connect
from tradefast.config import Settings
from tradefast.gateway.access import BATCH_PROTOCOL
from tradefast.proto.tradefast_pb2 import InquiryBatch, Status

WAIT = 60.0


def health_ok(settings: Settings) -> bool:
    url = f"http://{settings.gateway_host}:{settings.gateway_port}/healthz"
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


class Batches(WSListener):
    def __init__(self) -> None:
        super().__init__()
        self.batches: list[InquiryBatch] = []
        self.arrived = asyncio.Event()

    def on_ws_frame(self, transport: WSTransport, frame: WSFrame) -> None:
        if frame.msg_type == WSMsgType.BINARY:
            self.batches.append(InquiryBatch.FromString(frame.get_payload_as_bytes()))
            self.arrived.set()


async def watch_final(url: str, count: int) -> int:
    """Connect and count the final states (DONE / NOT_DONE) received live until `count`."""
    transport, listener = await ws_connect(
        Batches, url, extra_headers={"Sec-WebSocket-Protocol": BATCH_PROTOCOL}
    )
    assert isinstance(listener, Batches)
    try:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + WAIT
        while True:
            finals = {
                i.inquiry_id
                for batch in listener.batches
                if not batch.snapshot
                for i in batch.inquiries
                if i.status in (Status.DONE, Status.NOT_DONE)
            }
            if len(finals) >= count:
                return len(finals)
            assert loop.time() < deadline, f"only {len(finals)} final states arrived live"
            await asyncio.sleep(0.05)
    finally:
        transport.disconnect()


async def snapshot_positions(url: str) -> dict[str, tuple[int, int, int]]:
    """The positions of the snapshot frame a new client receives first."""
    transport, listener = await ws_connect(
        Batches, url, extra_headers={"Sec-WebSocket-Protocol": BATCH_PROTOCOL}
    )
    assert isinstance(listener, Batches)
    try:
        await asyncio.wait_for(listener.arrived.wait(), WAIT)
        first = listener.batches[0]
        assert first.snapshot
        return {
            f"{p.book_id}|{p.instrument_id}": (p.notional, p.quantity, p.sequence)
            for p in first.positions
        }
    finally:
        transport.disconnect()
