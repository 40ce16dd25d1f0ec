"""The dashboard benchmark's WebSocket server: replays recorded gateway frames to the page at a
chosen, steady rate of inquiry updates.

`python -m tradefast.bench.replay --frames FILE --port P --rate UPDATES_PER_S --seconds S
--stats FILE` prepares the whole replay, then prints `ready <start>` (the wall time in ms at which
the live updates start) and serves it. A page that connects gets the recording's snapshot at once
and the live updates from the start on, like a broadcast: one message per 1 ms tick (the gateway's
cadence under load: one message per consumed batch, about one a millisecond at 10,000 inquiries/s),
an `InquiryBatch` holding the updates due in that tick, so they come at exactly
`--rate`, in the recording's order, each frame's positions with its first update. The recording
is looped as often as needed, each pass with its inquiry ids moved past the previous pass's (the
page would take them for old versions otherwise). The stage stamps (created, enriched, decided,
event time) are mapped onto the replay's clock through the same warp that maps each recorded
update's receive time to its send time, so an inquiry's stages keep their order, never come after
the update that carries them, and latencies stay consistent.

Preparing costs a few µs per update, so it is done before the page loads and the live updates
start after an allowance for it. It writes `--stats` (JSON) when its client goes and on exit
(SIGTERM): per message sent, the wall time and the updates sent so far; when each inquiry was
first sent; and the most bytes its socket held unread (the page not reading).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import signal
import sys
import time
from bisect import bisect_right
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import uvloop
from picows import (
    WSFrame,
    WSListener,
    WSMsgType,
    WSTransport,
    WSUpgradeRequest,
    WSUpgradeResponse,
    WSUpgradeResponseWithListener,
    ws_create_server,
)

from tradefast.bench import frames
from tradefast.proto.tradefast_pb2 import Inquiry, InquiryBatch

TICK_NS = 1_000_000
# The live updates start this long after preparing began: per update to prepare, plus a constant.
PREPARE_NS_PER_UPDATE = 12_000
PREPARE_NS_BASE = 500_000_000


@dataclass
class Message:
    offset_ns: int
    payload: bytes
    updates: int
    # The inquiries whose first update this message carries.
    first_ids: list[int]


@dataclass
class Source:
    """The recording, decoded once: its live frames, when each of their updates came (spread
    evenly from its frame's time to the next frame's), and how far to move ids per pass."""

    snapshot: InquiryBatch
    live: list[InquiryBatch]
    # Receive time of each update of one pass, in ns since the first live frame.
    received_ns: list[float]
    wall_base_ns: int
    loop_ns: int
    id_span: int

    @classmethod
    def load(cls, recording: frames.Recording) -> Source:
        if len(recording.frames) < 3:
            raise frames.RecordingError("a replay needs a snapshot and at least two live frames")
        decoded = [InquiryBatch.FromString(f.payload) for f in recording.frames]
        live = decoded[1:]
        first = recording.frames[1].offset_ns
        offsets = [f.offset_ns - first for f in recording.frames[1:]]
        if offsets[-1] <= 0:
            raise frames.RecordingError("the recording's live frames span no time")
        # One mean gap after the last frame, so the next pass does not start on top of it.
        loop_ns = offsets[-1] * len(live) // (len(live) - 1)
        received: list[float] = []
        for offset, following, batch in zip(offsets, [*offsets[1:], loop_ns], live, strict=True):
            step = (following - offset) / max(1, len(batch.inquiries))
            received += [offset + index * step for index in range(len(batch.inquiries))]
        if not received:
            raise frames.RecordingError("the recording holds no inquiry updates to replay")
        ids = [i.inquiry_id for b in decoded for i in b.inquiries]
        return cls(
            snapshot=decoded[0],
            live=live,
            received_ns=received,
            wall_base_ns=recording.header["wall_start_ns"] + first,
            loop_ns=loop_ns,
            id_span=max(ids) - min(ids) + 1,
        )

    @property
    def recorded_rate(self) -> float:
        return len(self.received_ns) / (self.loop_ns / 1e9)


@dataclass
class Plan:
    snapshot: bytes
    messages: list[Message]
    speed: float


class _Warp:
    """Recorded time → replay time: update u of a pass is sent at u / rate; times between two
    updates' receive times are interpolated, times outside a pass extrapolated at the speed."""

    def __init__(self, source: Source, rate: float, start_wall_ns: int) -> None:
        self.received = source.received_ns
        self.interval_ns = 1e9 / rate
        self.pass_ns = len(self.received) * self.interval_ns
        self.speed = rate / source.recorded_rate
        self.base = source.wall_base_ns
        self.start = start_wall_ns

    def send_ns(self, index: int) -> float:
        return index * self.interval_ns

    def wall(self, recorded_wall_ns: int, loop: int) -> int:
        t = recorded_wall_ns - self.base
        received = self.received
        i = bisect_right(received, t)
        if i == 0:
            sent = (t - received[0]) / self.speed
        elif i == len(received):
            sent = self.send_ns(i - 1) + (t - received[-1]) / self.speed
        else:
            r0, r1 = received[i - 1], received[i]
            fraction = (t - r0) / (r1 - r0) if r1 > r0 else 0.0
            sent = self.send_ns(i - 1) + fraction * self.interval_ns
        return self.start + round(sent + loop * self.pass_ns)


class _Planner:
    """Collects the moved updates into one message per tick."""

    def __init__(self, source: Source, warp: _Warp) -> None:
        self.source = source
        self.warp = warp
        self.messages: list[Message] = []
        self.batch = InquiryBatch()
        self.tick = 0
        self.seen: set[int] = set()
        self.first_ids: list[int] = []

    def at(self, send_ns: float) -> InquiryBatch:
        """The batch of the tick that `send_ns` falls in."""
        tick = int(send_ns) // TICK_NS
        if tick != self.tick:
            self.flush()
            self.tick = tick
        return self.batch

    def flush(self) -> None:
        if self.batch.inquiries or self.batch.positions:
            payload = self.batch.SerializeToString()
            updates = len(self.batch.inquiries)
            self.messages.append(Message(self.tick * TICK_NS, payload, updates, self.first_ids))
            self.batch = InquiryBatch()
            self.first_ids = []

    def first_sent(self, inquiry_id: int) -> None:
        if inquiry_id not in self.seen:
            self.seen.add(inquiry_id)
            self.first_ids.append(inquiry_id)

    def move(self, inquiry: Inquiry, loop: int) -> None:
        """Ids past the earlier passes', stamps onto the replay's clock."""
        wall = self.warp.wall
        inquiry.inquiry_id += loop * self.source.id_span
        if inquiry.created_ns:
            inquiry.created_ns = wall(inquiry.created_ns, loop)
        if inquiry.enriched_ns:
            inquiry.enriched_ns = wall(inquiry.enriched_ns, loop)
        if inquiry.decided_ns:
            inquiry.decided_ns = wall(inquiry.decided_ns, loop)
        if inquiry.event_time:
            inquiry.event_time = wall(inquiry.event_time * 1_000_000, loop) // 1_000_000


def prepare(source: Source, rate: float, seconds: float, start_wall_ns: int) -> Plan:
    """The snapshot and the messages of a replay at `rate` updates/s for `seconds`, live from
    `start_wall_ns` (CLOCK_REALTIME) on."""
    warp = _Warp(source, rate, start_wall_ns)
    planner = _Planner(source, warp)
    snapshot = InquiryBatch()
    snapshot.CopyFrom(source.snapshot)
    for inquiry in snapshot.inquiries:
        planner.move(inquiry, 0)
        # The page lists a snapshot's inquiries where the snapshot puts them: a later update of
        # one is not a new inquiry for the page's top row (display lag).
        planner.seen.add(inquiry.inquiry_id)
    total = round(rate * seconds)
    sent = 0
    for loop in itertools.count():
        for frame in source.live:
            planner.at(warp.send_ns(sent)).positions.extend(frame.positions)
            for inquiry in frame.inquiries:
                if sent == total:
                    planner.flush()
                    return Plan(snapshot.SerializeToString(), planner.messages, warp.speed)
                added = planner.at(warp.send_ns(sent)).inquiries.add()
                added.CopyFrom(inquiry)
                planner.move(added, loop)
                planner.first_sent(added.inquiry_id)
                sent += 1
    raise AssertionError("unreachable: the loop above returns")


@dataclass
class Stats:
    prepare_s: float
    speed: float
    stamps_late_s: float
    connections: int = 0
    messages: int = 0
    updates: int = 0
    max_buffered_bytes: int = 0
    # [wall time ms, updates sent so far], per message.
    sent: list[tuple[float, int]] = field(default_factory=list)
    # The wall time (ms) each inquiry id was first sent.
    first_sent: dict[int, float] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {
            "prepare_s": round(self.prepare_s, 3),
            "speed": round(self.speed, 4),
            "stamps_late_s": round(self.stamps_late_s, 3),
            "connections": self.connections,
            "messages": self.messages,
            "updates": self.updates,
            "max_buffered_bytes": self.max_buffered_bytes,
            "sent": self.sent,
            "first_sent": [list(self.first_sent), list(self.first_sent.values())],
        }


class Replayer(WSListener):
    """One page: the snapshot at once, then the messages due from now on, each on time."""

    def __init__(self, server: ReplayServer) -> None:
        super().__init__()
        self._server = server
        self._transport: WSTransport | None = None
        self._timer: asyncio.TimerHandle | None = None

    def on_ws_connected(self, transport: WSTransport) -> None:
        self._transport = transport
        server = self._server
        server.stats.connections += 1
        transport.send(WSMsgType.BINARY, server.plan.snapshot)
        start = asyncio.get_running_loop().time() + (server.start_wall_ns - time.time_ns()) / 1e9
        self._send_due(self._first_due(start), start)

    def _first_due(self, start: float) -> int:
        """The first message not yet due: a late page joins the broadcast where it is."""
        elapsed_ns = (asyncio.get_running_loop().time() - start) * 1e9
        messages = self._server.plan.messages
        return next((i for i, m in enumerate(messages) if m.offset_ns >= elapsed_ns), len(messages))

    def _send_due(self, index: int, start: float) -> None:
        transport = self._transport
        if (
            transport is None
            or transport.is_close_frame_sent
            or transport.underlying_transport.is_closing()
        ):
            return
        loop = asyncio.get_running_loop()
        stats = self._server.stats
        messages = self._server.plan.messages
        now = loop.time()
        while index < len(messages) and start + messages[index].offset_ns / 1e9 <= now:
            message = messages[index]
            transport.send(WSMsgType.BINARY, message.payload)
            stats.messages += 1
            stats.updates += message.updates
            sent_ms = time.time_ns() / 1e6
            stats.sent.append((sent_ms, stats.updates))
            stats.first_sent.update(dict.fromkeys(message.first_ids, sent_ms))
            index += 1
        buffered: int = transport.underlying_transport.get_write_buffer_size()
        stats.max_buffered_bytes = max(stats.max_buffered_bytes, buffered)
        if index < len(messages):
            due = start + messages[index].offset_ns / 1e9
            self._timer = loop.call_at(due, self._send_due, index, start)

    def on_ws_frame(self, transport: WSTransport, frame: WSFrame) -> None:
        if frame.msg_type == WSMsgType.CLOSE:
            transport.disconnect()

    def on_ws_disconnected(self, transport: WSTransport) -> None:
        self._transport = None
        if self._timer is not None:
            self._timer.cancel()
        self._server.write_stats()


class ReplayServer:
    def __init__(self, source: Source, rate: float, seconds: float, stats_path: Path) -> None:
        began = time.time_ns()
        start = began + PREPARE_NS_BASE + round(rate * seconds) * PREPARE_NS_PER_UPDATE
        self.plan = prepare(source, rate, seconds, start)
        prepared = time.time_ns()
        # Prepared too slowly for the allowance: start now, the stamps that much in the past.
        self.start_wall_ns = max(start, prepared)
        self.stats = Stats((prepared - began) / 1e9, self.plan.speed, (prepared - start) / 1e9)
        self._stats_path = stats_path

    def route(self, request: WSUpgradeRequest) -> WSUpgradeResponseWithListener:
        # Echo the page's first sub-protocol, if it asks for one: a browser refuses a connection
        # whose answer names none of those it offered.
        offered = request.headers.get("Sec-WebSocket-Protocol", "")
        protocol = offered.split(",")[0].strip()
        headers = {"Sec-WebSocket-Protocol": protocol} if protocol else None
        return WSUpgradeResponseWithListener(
            WSUpgradeResponse.create_101_response(headers), Replayer(self)
        )

    def write_stats(self) -> None:
        self._stats_path.write_text(json.dumps(self.stats.as_json()) + "\n")


async def serve(args: argparse.Namespace) -> None:
    source = Source.load(frames.read(args.frames))
    server = ReplayServer(source, args.rate, args.seconds, args.stats)
    listening = await ws_create_server(server.route, args.host, args.port)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    print(f"ready {server.start_wall_ns / 1e6:.0f}", flush=True)
    await stop.wait()
    listening.close()
    server.write_stats()


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m tradefast.bench.replay")
    parser.add_argument("--frames", type=Path, required=True, help="a record-frames file")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--rate", type=float, required=True, help="inquiry updates per second")
    parser.add_argument("--seconds", type=float, required=True, help="how long to replay")
    parser.add_argument("--stats", type=Path, required=True, help="where to write what was sent")
    args = parser.parse_args()
    if args.rate <= 0 or args.seconds <= 0:
        parser.error("--rate and --seconds must be positive")
    try:
        uvloop.run(serve(args))
    except (frames.RecordingError, OSError) as exc:
        print(f"replay server: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
