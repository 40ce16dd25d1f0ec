"""`tradefast bench record-frames`: a few seconds of real gateway frames into a file, for the
dashboard benchmark to replay to the page (`tradefast bench dashboard`).

Without `--url` it runs its own pipeline (Kafka and Redis reused or started, a fresh topic prefix,
position service, trader and gateway as processes), offers `--rate` inquiries/s for a couple of
seconds so the pipeline is in its stride, then connects as a dashboard would and keeps every frame
for `--seconds`. With `--url` it records from a gateway that already runs (e.g. `make run
RATE=3400`). Every inquiry passes the gateway about three times (NEW, enriched, decided), so the
default 3,400 inquiries/s gives about 10,000 updates/s, as far as the machine keeps up; the header
of the file says what was recorded.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from pathlib import Path

import uvloop
from picows import WSFrame, WSListener, WSMsgType, WSTransport, ws_connect

from tradefast import config, processes
from tradefast.bench import frames
from tradefast.bench.e2e import BenchError, running_bench, servers_for
from tradefast.config import Settings
from tradefast.gateway.access import BATCH_PROTOCOL
from tradefast.integration.pipeline import feed_url
from tradefast.proto.tradefast_pb2 import InquiryBatch

DEFAULT_RATE = 3_400.0
DEFAULT_SECONDS = 5.0
# Load offered before recording starts: the services' batches and the broker have settled.
LEAD_SECONDS = 3.0
CONNECT_TIMEOUT = 10.0
STOP_GRACE = 10.0


class FrameRecorder(WSListener):
    def __init__(self) -> None:
        super().__init__()
        self.started_ns = time.monotonic_ns()
        self.started_wall_ns = time.time_ns()
        self.frames: list[frames.Frame] = []
        self.closed = asyncio.Event()

    def on_ws_frame(self, transport: WSTransport, frame: WSFrame) -> None:
        if frame.msg_type == WSMsgType.CLOSE:
            transport.disconnect()
        elif frame.msg_type == WSMsgType.BINARY:
            offset = time.monotonic_ns() - self.started_ns
            self.frames.append(frames.Frame(offset, frame.get_payload_as_bytes()))

    def on_ws_disconnected(self, transport: WSTransport) -> None:
        self.closed.set()


async def record(url: str, seconds: float) -> frames.Recording:
    """Connect to the gateway at `url` and keep its frames for `seconds`."""
    transport, listener = await asyncio.wait_for(
        ws_connect(FrameRecorder, url, extra_headers={"Sec-WebSocket-Protocol": BATCH_PROTOCOL}),
        CONNECT_TIMEOUT,
    )
    if not isinstance(listener, FrameRecorder):
        raise TypeError("picows returned another listener type")
    try:
        await asyncio.wait_for(listener.closed.wait(), seconds)
        raise BenchError(f"the gateway at {url} closed the connection while recording")
    except TimeoutError:
        pass
    finally:
        transport.disconnect()
    header = {
        "recorded_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "source": url.split("?", 1)[0],
        "wall_start_ns": listener.started_wall_ns,
    }
    recording = frames.Recording(header, listener.frames)
    _check_protocol(recording, url)
    recording.header.update(recording.summary())
    return recording


def _check_protocol(recording: frames.Recording, url: str) -> None:
    """The page's protocol: a snapshot frame first, then at least one live frame."""
    if len(recording.frames) < 2:
        raise BenchError(f"the gateway at {url} sent {len(recording.frames)} frames: is load on?")
    try:
        first = InquiryBatch.FromString(recording.frames[0].payload)
    except ValueError:
        first = InquiryBatch()
    if not first.snapshot:
        raise BenchError(
            f"the first frame from {url} is not an InquiryBatch snapshot: not the dashboard's "
            "protocol"
        )


def record_pipeline(settings: Settings, rate: float, seconds: float) -> frames.Recording:
    """Offer `rate` to a fresh pipeline on the servers of `settings` and record `seconds` of its
    gateway's frames."""
    with running_bench(settings, "rust") as bench:
        count = round(rate * (LEAD_SECONDS + seconds + 2))
        argv = ["--rate", str(rate), "--count", str(count), "--start-id", str(bench.next_id)]
        generator = bench.pipeline.generator(argv)
        try:
            time.sleep(LEAD_SECONDS)
            if generator.poll() is not None:
                raise BenchError(
                    f"the generator exited with code {generator.returncode} "
                    f"(log: {bench.pipeline.log_dir / 'generator.log'})"
                )
            recording = uvloop.run(record(feed_url(bench.pipeline.settings), seconds))
        finally:
            processes.stop_process(generator, STOP_GRACE)
    recording.header["rate_offered"] = rate
    return recording


def describe(recording: frames.Recording) -> str:
    h = recording.header
    return (
        f"recorded {h['frames']:,} frames, {h['updates']:,} inquiry updates in "
        f"{h['seconds']:.1f} s "
        f"({h['updates_per_s']:,.0f} updates/s) from {h['source']}, snapshot of "
        f"{h['snapshot_inquiries']:,} inquiries"
    )


def default_path(settings: Settings) -> Path:
    return Path(settings.home) / "bench" / "frames.bin"


def register(actions: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = actions.add_parser(
        "record-frames", help="record real gateway frames to a file, for `bench dashboard`"
    )
    parser.add_argument(
        "--out", type=Path, help="the file to write (default: TRADEFAST_HOME/bench/frames.bin)"
    )
    parser.add_argument(
        "--rate",
        type=float,
        default=DEFAULT_RATE,
        help=f"inquiries/s offered to the pipeline (default {DEFAULT_RATE:g}, ~10,000 updates/s)",
    )
    parser.add_argument(
        "--seconds",
        type=float,
        default=DEFAULT_SECONDS,
        help=f"seconds of frames to keep (default {DEFAULT_SECONDS:g})",
    )
    parser.add_argument(
        "--url", help="record from this running gateway instead of starting a pipeline"
    )
    parser.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    config.within("--seconds", args.seconds, 0.001, 600)
    config.within("--rate", args.rate, 0.001, 100_000)
    try:
        settings = config.load()
        out = args.out or default_path(settings)
        if args.url:
            recording = uvloop.run(record(args.url, args.seconds))
        else:
            with servers_for(settings):
                recording = record_pipeline(settings, args.rate, args.seconds)
        frames.write(out, recording)
    except (OSError, TimeoutError) as exc:
        raise BenchError(str(exc) or type(exc).__name__) from exc
    print(describe(recording))
    print(f"written: {out}")
    return 0
