"""The pure-Python specification of the Rust hot path (`tradefast._core`): same functions,
same results, written for clarity with the generated protobuf classes."""

from tradefast.core_types import Position
from tradefast.reference.decide import decide
from tradefast.reference.enrich import enrich
from tradefast.reference.errors import CoreError
from tradefast.reference.frame import frame
from tradefast.reference.generate import InquiryMaker
from tradefast.reference.scan import scan
from tradefast.reference.websocket import websocket_frames
from tradefast.reference.window import InquiryWindow

__all__ = [
    "CoreError",
    "InquiryMaker",
    "InquiryWindow",
    "Position",
    "decide",
    "enrich",
    "frame",
    "scan",
    "websocket_frames",
]
