"""The benchmark's WebSocket client, its own process so that it never competes with the bench
driver for one interpreter: `python -m tradefast.bench.ws_client --url URL --first-id N --count C
--out FILE [--format original]`.

It records, for each inquiry id in [first_id, first_id + count) the first time a final update
(DONE / NOT_DONE) of it arrives: end-to-end latency from created_ns (the generator's scheduled send
time) to receipt, and the stages created→enriched, enriched→decided, decided→client from the
stamps. Ids below --record-from count as received but stay out of the histograms (warm-up).
It prints "ready" once connected, and writes FILE (JSON) when every id has arrived or on SIGTERM.
While frames arrive it only keeps each final's stamps in flat arrays; the histograms are built
after the last one, so the client takes as little CPU as it can from the pipeline it measures
(its reported CPU is its use until then).
`--format batched` (the default) asks the gateway for its batched format; `original` asks for
none and reads the original system's, one Inquiry per frame, every state (counted in `states`).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import signal
import sys
import time
from array import array
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import uvloop
from picows import WSFrame, WSListener, WSMsgType, WSTransport, ws_connect

from tradefast.bench.stats import new_histogram, summary_us
from tradefast.gateway.access import BATCH_PROTOCOL
from tradefast.proto.tradefast_pb2 import Inquiry, InquiryBatch, Status

PERCENTILES = (0.0, 50.0, 75.0, 90.0, 95.0, 99.0, 99.5, 99.9, 99.95, 99.99, 100.0)
STAGES = ("created_to_enriched", "enriched_to_decided", "decided_to_client")
# The inquiries of the last fifth of the run: their latency shows whether lag was growing.
TAIL_FRACTION = 0.2
# The enum wrapper's attribute lookup runs Python code: read once, not per inquiry.
FINAL_FROM = Status.DONE


FORMATS = ("batched", "original")


def batch_inquiries(payload: bytes) -> Iterable[Inquiry]:
    return InquiryBatch.FromString(payload).inquiries


def one_inquiry(payload: bytes) -> Iterable[Inquiry]:
    return (Inquiry.FromString(payload),)


class LatencyRecorder(WSListener):
    def __init__(
        self,
        first_id: int,
        count: int,
        record_from: int,
        decode: Callable[[bytes], Iterable[Inquiry]] = batch_inquiries,
    ) -> None:
        super().__init__()
        self.decode = decode
        self.first_id = first_id
        self.count = count
        self.record_from = record_from
        self.tail_from = first_id + int(count * (1 - TAIL_FRACTION))
        self.seen = bytearray(count)
        self.received = 0
        self.duplicates = 0
        self.frames = 0
        # Updates of the ids in range, every state (the original format sends each).
        self.states = 0
        self.first_created_ns = 0
        self.last_receive_ns = 0
        # Per recorded final (id >= record_from): its id, stamps and time of receipt.
        self.ids = array("q")
        self.created = array("q")
        self.enriched = array("q")
        self.decided = array("q")
        self.receipts = array("q")
        self.complete = asyncio.Event()

    def on_ws_frame(self, transport: WSTransport, frame: WSFrame) -> None:
        if frame.msg_type == WSMsgType.CLOSE:
            transport.disconnect()
            return
        if frame.msg_type == WSMsgType.BINARY:
            self.on_payload(frame.get_payload_as_bytes(), time.time_ns())

    def on_payload(self, payload: bytes, now: int) -> None:
        """A binary frame's `payload`, received at `now` (ns since the epoch)."""
        self.frames += 1
        first_id, count, seen, record_from = self.first_id, self.count, self.seen, self.record_from
        for inquiry in self.decode(payload):
            inquiry_id = inquiry.inquiry_id
            index = inquiry_id - first_id
            if not 0 <= index < count:
                continue
            self.states += 1
            if inquiry.status < FINAL_FROM:
                continue
            if seen[index]:
                self.duplicates += 1
                continue
            seen[index] = 1
            self.received += 1
            if inquiry_id >= record_from:
                self.ids.append(inquiry_id)
                self.created.append(inquiry.created_ns)
                self.enriched.append(inquiry.enriched_ns)
                self.decided.append(inquiry.decided_ns)
                self.receipts.append(now)
            if index == 0:
                self.first_created_ns = inquiry.created_ns
        self.last_receive_ns = now
        if self.received == count:
            self.complete.set()

    def on_ws_disconnected(self, transport: WSTransport) -> None:
        self.complete.set()

    def report(self) -> dict[str, Any]:
        """The figures; call once the frames are over (building the histograms takes a while,
        after the CPU time reported is read)."""
        usage = resource.getrusage(resource.RUSAGE_SELF)
        cpu_seconds = round(usage.ru_utime + usage.ru_stime, 3)
        end_to_end, tail = new_histogram(), new_histogram()
        stages = {name: new_histogram() for name in STAGES}
        columns = zip(
            self.ids, self.created, self.enriched, self.decided, self.receipts, strict=True
        )
        for inquiry_id, created, enriched, decided, now in columns:
            end_to_end.record_value(max(now - created, 1))
            stages["created_to_enriched"].record_value(max(enriched - created, 1))
            stages["enriched_to_decided"].record_value(max(decided - enriched, 1))
            stages["decided_to_client"].record_value(max(now - decided, 1))
            if inquiry_id >= self.tail_from:
                tail.record_value(max(now - created, 1))
        return {
            "received_final": self.received,
            "duplicates": self.duplicates,
            "frames": self.frames,
            "states": self.states,
            "first_created_ns": self.first_created_ns,
            "last_receive_ns": self.last_receive_ns,
            "end_to_end": summary_us(end_to_end),
            "percentiles_us": [
                [p, round(end_to_end.get_value_at_percentile(p) / 1000, 1)] for p in PERCENTILES
            ],
            "tail": summary_us(tail),
            "stages": {name: summary_us(h) for name, h in stages.items()},
            "cpu_seconds": cpu_seconds,
        }


async def record(args: argparse.Namespace) -> dict[str, Any]:
    batched = args.format == "batched"
    decode = batch_inquiries if batched else one_inquiry
    transport, listener = await ws_connect(
        lambda: LatencyRecorder(args.first_id, args.count, args.record_from, decode),
        args.url,
        extra_headers={"Sec-WebSocket-Protocol": BATCH_PROTOCOL} if batched else None,
    )
    if not isinstance(listener, LatencyRecorder):
        raise TypeError("picows returned another listener type")
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, listener.complete.set)
    print("ready", flush=True)
    await listener.complete.wait()
    transport.disconnect()
    return listener.report()


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m tradefast.bench.ws_client")
    parser.add_argument("--url", required=True)
    parser.add_argument("--first-id", type=int, required=True)
    parser.add_argument("--count", type=int, required=True)
    parser.add_argument("--record-from", type=int, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--format", choices=FORMATS, default="batched")
    args = parser.parse_args()
    if args.count < 1:
        parser.error("--count must be >= 1")
    try:
        report = uvloop.run(record(args))
    except OSError as exc:
        print(f"bench client: cannot connect to {args.url}: {exc}", file=sys.stderr)
        return 1
    args.out.write_text(json.dumps(report) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
