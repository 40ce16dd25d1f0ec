"""The pure-Python specification of the Rust hot path (`tradefast._core`): same functions,
same results, written for clarity with the generated protobuf classes."""

from tradefast.reference.decide import decide
from tradefast.reference.enrich import enrich
from tradefast.reference.errors import CoreError
from tradefast.reference.frame import frame
from tradefast.reference.validation import Position

__all__ = ["CoreError", "Position", "decide", "enrich", "frame"]
