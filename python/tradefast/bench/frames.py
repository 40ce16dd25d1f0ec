"""A recording of gateway WebSocket frames, as `tradefast bench record-frames` writes it and the
dashboard benchmark's replay server reads it.

File layout: the line `tradefast-frames 1`, one line of JSON (the header: where and when it was
recorded, and figures of the recording), then one record per frame: its receive time in ns since
the recording started (8 bytes, little-endian), its length (4 bytes, little-endian) and the frame's
payload, an encoded `InquiryBatch` exactly as the gateway sent it. The first frame is the
gateway's snapshot.
"""

from __future__ import annotations

import json
import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tradefast.errors import TradefastError
from tradefast.proto.tradefast_pb2 import InquiryBatch

MAGIC = b"tradefast-frames 1\n"
RECORD = struct.Struct("<QI")
# A frame of the gateway is at most 2000 inquiries of ~100 bytes; far more means a corrupt file.
MAX_FRAME = 16 * 1024 * 1024


class RecordingError(TradefastError, ValueError):
    """The file is not a frame recording, or it is cut short."""


@dataclass
class Frame:
    offset_ns: int
    payload: bytes


@dataclass
class Recording:
    # recorded_at (UTC), source (the gateway's URL), wall_start_ns (CLOCK_REALTIME at offset 0),
    # and what `summary` adds.
    header: dict[str, Any]
    frames: list[Frame] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        """Frames, inquiry updates and the updates' rate over the live frames (the snapshot
        aside)."""
        live = self.frames[1:]
        updates = sum(len(InquiryBatch.FromString(f.payload).inquiries) for f in live)
        span_s = (live[-1].offset_ns - live[0].offset_ns) / 1e9 if len(live) > 1 else 0.0
        return {
            "frames": len(live),
            "updates": updates,
            "seconds": round(span_s, 3),
            "updates_per_s": round(updates / span_s, 1) if span_s > 0 else 0.0,
            "snapshot_inquiries": len(InquiryBatch.FromString(self.frames[0].payload).inquiries)
            if self.frames
            else 0,
        }


def write(path: Path, recording: Recording) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as out:
        out.write(MAGIC)
        out.write(json.dumps(recording.header).encode() + b"\n")
        for frame in recording.frames:
            out.write(RECORD.pack(frame.offset_ns, len(frame.payload)))
            out.write(frame.payload)


def read(path: Path) -> Recording:
    data = path.read_bytes()
    if not data.startswith(MAGIC):
        raise RecordingError(f"{path} is not a frame recording (made by tradefast bench record)")
    end = data.find(b"\n", len(MAGIC))
    if end < 0:
        raise RecordingError(f"{path}: the header is cut short")
    try:
        header = json.loads(data[len(MAGIC) : end])
    except ValueError as exc:
        raise RecordingError(f"{path}: the header is not JSON: {exc}") from None
    frames: list[Frame] = []
    position = end + 1
    while position < len(data):
        if position + RECORD.size > len(data):
            raise RecordingError(f"{path}: cut short after {len(frames)} frames")
        offset_ns, length = RECORD.unpack_from(data, position)
        position += RECORD.size
        if length > MAX_FRAME or position + length > len(data):
            raise RecordingError(f"{path}: frame {len(frames)} is cut short or corrupt")
        frames.append(Frame(offset_ns, data[position : position + length]))
        position += length
    if not frames:
        raise RecordingError(f"{path} holds no frames")
    return Recording(header, frames)
