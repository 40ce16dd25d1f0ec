"""Cut pending updates into WebSocket frames with the core's `frame` call."""

from __future__ import annotations

from collections.abc import Sequence

from tradefast.core import Core

# Enough to keep per-frame overhead small, small enough that a browser decodes a frame in well
# under one animation frame.
MAX_INQUIRIES_PER_FRAME = 2000


def build_frames(
    core: Core, inquiries: Sequence[bytes], positions: Sequence[bytes], snapshot: bool = False
) -> list[bytes]:
    """One or more encoded InquiryBatch frames; positions and the snapshot flag go in the first."""
    frames = [
        core.frame(inquiries[:MAX_INQUIRIES_PER_FRAME], positions, snapshot),
    ]
    for start in range(MAX_INQUIRIES_PER_FRAME, len(inquiries), MAX_INQUIRIES_PER_FRAME):
        frames.append(core.frame(inquiries[start : start + MAX_INQUIRIES_PER_FRAME]))
    return frames
